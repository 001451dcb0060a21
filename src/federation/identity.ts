/** A subject as an identity provider vouched for it, after verification. */
export interface ExternalIdentity {
  provider: string;
  /** The provider's stable subject identifier (OIDC sub, Facebook user_id, RFC 7662 sub). */
  subject: string;
  email: string | null;
  /** True only when the provider said so explicitly (email_verified: true). */
  emailVerified: boolean;
  /** What delegation (RFC 8693 §4.1, §4.4) reads of the token: its issuer, and its act and may_act claims. */
  delegation?: DelegationClaims;
}

export interface DelegationClaims {
  /** The issuer in whose context act and may_act are read (the token's iss). */
  iss: string;
  act?: unknown;
  mayAct?: unknown;
}

/** The delegation claims of a verified token's claims (`iss` when the claims carry none). */
export function delegationClaimsOf(claims: Record<string, unknown>, iss: string): DelegationClaims {
  return { iss: typeof claims.iss === 'string' ? claims.iss : iss, act: claims.act, mayAct: claims.may_act };
}

/** Subjects become link keys and token claims: keep them bounded and printable. */
export function validSubject(sub: unknown): sub is string {
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255) return false;
  for (let i = 0; i < sub.length; i++) if (sub.charCodeAt(i) < 0x20 || sub.charCodeAt(i) === 0x7f) return false;
  return true;
}

export function emailOf(claims: Record<string, unknown>): { email: string | null; emailVerified: boolean } {
  const email = typeof claims.email === 'string' && claims.email.length <= 320 && claims.email.includes('@') ? claims.email : null;
  return { email, emailVerified: email !== null && claims.email_verified === true };
}
