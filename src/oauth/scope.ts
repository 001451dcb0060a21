import { OAuthError } from './errors.js';

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Parses a space-delimited scope string (RFC 6749 §3.3). Empty or absent -> undefined. */
export function parseScope(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  if (raw === '') return undefined;
  const parts = raw.split(' ');
  const seen = new Set<string>();
  for (const part of parts) {
    // Repeated or leading/trailing spaces produce empty tokens: RFC 6749 §3.3 allows exactly one space between tokens.
    if (part === '' || !SCOPE_TOKEN.test(part)) throw OAuthError.invalidScope('The scope parameter is malformed');
    seen.add(part);
  }
  return [...seen];
}

/** Validates scope values an operator configures; the same grammar as on the wire. */
export function isValidScopeToken(token: string): boolean {
  return SCOPE_TOKEN.test(token);
}

/** May do everything in the admin API (docs/admin-api.md, ADR 0010). */
export const ADMIN_SCOPE = 'tessera:admin';
/** May only read the admin API (GET), the metrics and the console's read-only pages. */
export const ADMIN_READ_SCOPE = 'tessera:admin:read';
/** May scrape /metrics (and nothing else). */
export const METRICS_SCOPE = 'tessera:metrics';
/**
 * The operator scopes. A user gets one through the password grant (the console's sign-in) only when the user's
 * own scope lists it: a user with no user-level restriction (scope null) is an end user, not an operator, even
 * when the client (tessera-console) may be granted these scopes (docs/console.md, "Sign-in").
 */
export const OPERATOR_SCOPES: ReadonlySet<string> = new Set([ADMIN_SCOPE, ADMIN_READ_SCOPE, METRICS_SCOPE]);

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}

/**
 * The granted scope: the requested scope when it is a subset of what is allowed, the default when nothing was asked
 * (RFC 6749 §3.3: the server may fully or partially ignore the request or use a default; SMSCX documents "omitted = all").
 */
export function resolveScope(requested: readonly string[] | undefined, allowed: readonly string[], defaults: readonly string[] | null): string[] {
  if (requested === undefined) {
    const base = defaults ?? allowed;
    const allowedSet = new Set(allowed);
    return base.filter((s) => allowedSet.has(s));
  }
  const allowedSet = new Set(allowed);
  for (const s of requested) {
    if (!allowedSet.has(s)) throw OAuthError.invalidScope('The requested scope exceeds what this client may be granted');
  }
  return [...requested];
}

export function isSubset(inner: readonly string[], outer: readonly string[]): boolean {
  const o = new Set(outer);
  return inner.every((s) => o.has(s));
}

export function intersect(a: readonly string[], b: readonly string[]): string[] {
  const bs = new Set(b);
  return a.filter((s) => bs.has(s));
}
