import { VerificationError } from './verification-error.js';
import type { TokenVerifier, VerifiedToken } from './verifier.js';
import type { ClientCertificateInput } from './mtls.js';

export interface BearerAuthOptions {
  verifier: TokenVerifier;
  /** Scopes this route (or group of routes) needs, on top of the verifier's. */
  requiredScopes?: readonly string[];
  /** The `realm` of the challenge (RFC 6750 §3). Default: the verifier's issuer. */
  realm?: string;
  /**
   * A header in which a TLS-terminating proxy forwards the client certificate (PEM, URL-encoded PEM or base64 DER),
   * for certificate-bound tokens (RFC 8705) when TLS does not end here. Only when that proxy always overwrites it.
   */
  certificateHeader?: string;
}

/** An HTTP answer that refuses a request: status, headers and a small JSON body. */
export interface BearerRefusal {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type BearerOutcome = { ok: true; token: VerifiedToken } | { ok: false; refusal: BearerRefusal };

/** RFC 6750 §2.1 b64token after "Bearer" and one or more spaces. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** RFC 6750 §3: attribute values are quoted-strings without `"` or `\`; descriptions are limited to %x20-7E. */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x7E]|["\\]/g, '')}"`;
}

export function challenge(realm: string, err?: VerificationError): string {
  const parts = [`realm=${quoted(realm)}`];
  if (err) {
    parts.push(`error=${quoted(err.error)}`, `error_description=${quoted(err.error_description)}`);
    if (err.scope && err.scope.length > 0) parts.push(`scope=${quoted(err.scope.join(' '))}`);
  }
  return `Bearer ${parts.join(', ')}`;
}

function refusal(realm: string, err: VerificationError | undefined): BearerRefusal {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (!err) {
    // RFC 6750 §3.1: a request without credentials gets the challenge but no error code.
    headers['www-authenticate'] = challenge(realm);
    return { status: 401, headers, body: JSON.stringify({ error_description: 'A bearer access token is required' }) };
  }
  if (err.error === 'temporarily_unavailable') headers['retry-after'] = '5';
  else headers['www-authenticate'] = challenge(realm, err);
  return { status: err.status, headers, body: JSON.stringify({ error: err.error, error_description: err.error_description }) };
}

/** A token verified earlier in the same request (e.g. by a plugin) checked against a route's further scopes. */
export function checkScopes(token: VerifiedToken, opts: BearerAuthOptions): BearerOutcome {
  const required = opts.requiredScopes ?? [];
  if (required.every((s) => token.scopes.includes(s))) return { ok: true, token };
  const err = new VerificationError('insufficient_scope', `The access token needs scope: ${required.join(' ')}`, required);
  return { ok: false, refusal: refusal(opts.realm ?? opts.verifier.issuer, err) };
}

/** Reads the Authorization header, verifies the token, and says how to answer when it is refused. */
export async function authenticateBearer(authorization: string | readonly string[] | undefined, opts: BearerAuthOptions, clientCertificate?: ClientCertificateInput): Promise<BearerOutcome> {
  const realm = opts.realm ?? opts.verifier.issuer;
  const value = authorization;
  if (typeof value !== 'string' && value !== undefined) return { ok: false, refusal: refusal(realm, new VerificationError('invalid_request', 'More than one Authorization header')) };
  if (typeof value !== 'string' || value === '' || !/^bearer(\s|$)/i.test(value)) return { ok: false, refusal: refusal(realm, undefined) };
  const match = BEARER.exec(value);
  if (!match) return { ok: false, refusal: refusal(realm, new VerificationError('invalid_request', 'Malformed Bearer authorization header')) };
  try {
    const token = await opts.verifier.verify(match[1]!, { ...(opts.requiredScopes ? { requiredScopes: opts.requiredScopes } : {}), ...(clientCertificate !== undefined ? { clientCertificate } : {}) });
    return { ok: true, token };
  } catch (err) {
    if (err instanceof VerificationError) return { ok: false, refusal: refusal(realm, err) };
    throw err;
  }
}
