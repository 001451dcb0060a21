import type { Client } from '../../store/types.js';
import type { OAuthContext } from '../../oauth/context.js';
import { getClient } from '../../oauth/context.js';
import { jwtAccessTokens } from '../../oauth/access-tokens/jwt.js';
import { opaqueAccessTokens } from '../../oauth/access-tokens/opaque.js';
import { AdminHttpError } from './problem.js';
import { throttledCheck, ThrottledError } from '../../oauth/throttle.js';
import { bearerKeys } from '../../limits/throttle-policy.js';

import { ADMIN_READ_SCOPE, ADMIN_SCOPE, METRICS_SCOPE } from '../../oauth/scope.js';

export { ADMIN_READ_SCOPE, ADMIN_SCOPE, METRICS_SCOPE };

/**
 * The admin API asks the introspection logic (RFC 7662 §2.2) about a bearer token as a caller allowed to see any
 * token, so a token is accepted exactly when introspection would call it active: signature, expiry, retired key,
 * the denylist (revoked JWTs), revoked families, the issuing client and the user, all from the per-process caches
 * the change feed keeps current (no database read for a cached JWT). No client has an empty id (RFC 6749 A.1),
 * so this caller never counts as the token's own client.
 */
const ANY_TOKEN = { clientId: '', introspectAny: true } as Client;

/** What an accepted admin token may do. */
export interface AdminGrant {
  clientId: string;
  /** The token's subject (a user's id for a password-grant token; the client_id for client_credentials). */
  subject: string | null;
  write: boolean;
}

// RFC 6750 §3: the challenge; with a token presented, the error code says why it failed.
const challenge = (error?: string, description?: string, realm = 'tessera-admin', scope = ADMIN_SCOPE): Record<string, string> => ({
  'www-authenticate': `Bearer realm="${realm}"${error ? `, error="${error}"` : ''}${description ? `, error_description="${description}"` : ''}${error === 'insufficient_scope' ? `, scope="${scope}"` : ''}`,
});

/** The 401s of a realm: no usable token, a token that is not (or no longer) valid, or one meant for another audience. */
interface Refusals {
  readonly noToken: AdminHttpError;
  readonly invalid: AdminHttpError;
  readonly wrongAudience: AdminHttpError;
}

function refusals(realm: string): Refusals {
  return {
    noToken: new AdminHttpError(401, 'A bearer access token issued by this server is required', challenge(undefined, undefined, realm)),
    invalid: new AdminHttpError(401, 'The access token is invalid, expired or revoked', challenge('invalid_token', 'The access token is invalid, expired or revoked', realm)),
    wrongAudience: new AdminHttpError(401, 'The access token is meant for another audience, not this server (RFC 9068 §4)', challenge('invalid_token', 'The access token audience is not this server', realm)),
  };
}

const ADMIN_REFUSALS = refusals('tessera-admin');
const NO_SCOPE = new AdminHttpError(403, `The access token lacks the scope ${ADMIN_SCOPE} (or ${ADMIN_READ_SCOPE} to read)`, challenge('insufficient_scope', 'The access token lacks the admin scope'));
const READ_ONLY = new AdminHttpError(403, `The access token has only ${ADMIN_READ_SCOPE}; this request needs ${ADMIN_SCOPE}`, challenge('insufficient_scope', 'The request needs the admin scope'));

/** RFC 6750 §2.1: `Bearer <b64token>`, the scheme case-insensitive. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The credential of an `Authorization: Bearer` header (RFC 6750 §2.1), or undefined for anything else. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

/** The introspection answer for an access token (never a refresh token: it is no bearer credential). */
function introspect(ctx: OAuthContext, token: string): string | undefined | Promise<string | undefined> {
  if (jwtAccessTokens.recognises(token)) return jwtAccessTokens.introspect(ctx, ANY_TOKEN, token);
  if (opaqueAccessTokens.recognises(token)) return opaqueAccessTokens.introspect(ctx, ANY_TOKEN, token);
  return undefined;
}

/** What a bearer token presented to a management endpoint turned out to be. */
export type BearerCheck = { kind: 'missing' } | { kind: 'invalid' } | { kind: 'wrong_audience' } | { kind: 'valid'; clientId: string; subject: string | null; scopes: readonly string[] };

/**
 * RFC 9068 §4: a resource server accepts a JWT access token only when its `aud` names the server itself. The
 * management endpoints are this server's own resources, so a token must name this server: its issuer, or the
 * default audience of its tokens (config accessTokenAudience). A token issued for another resource (a client's
 * `audience`, an RFC 8707 `resource`) is refused even with the admin scope: it was meant to be spent elsewhere,
 * and that resource could replay it here. Opaque tokens carry the same audience and are checked alike.
 */
function isForThisServer(ctx: OAuthContext, aud: unknown): boolean {
  const own = [ctx.config.issuer, ...(ctx.config.accessTokenAudience !== undefined ? [ctx.config.accessTokenAudience] : [])];
  const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  return values.some((a) => typeof a === 'string' && own.includes(a));
}

/**
 * Checks an Authorization header holding an access token of this server (RFC 6750 §2.1) exactly as introspection
 * would: `missing` without a bearer credential, `invalid` when it is not an active token of an active client.
 * The admin API and the registration endpoint's initial access token (RFC 7591 §3) both rest on it.
 */
export async function checkBearer(ctx: OAuthContext, header: string | undefined): Promise<BearerCheck> {
  if (header === undefined || header === '') return { kind: 'missing' };
  const m = BEARER.exec(header);
  if (!m) return /^bearer\b/i.test(header) ? { kind: 'invalid' } : { kind: 'missing' };
  const answer = await introspect(ctx, m[1]!);
  if (answer === undefined) return { kind: 'invalid' };
  const claims = JSON.parse(answer) as { active?: boolean; client_id?: unknown; scope?: unknown; aud?: unknown; sub?: unknown };
  if (claims.active !== true || typeof claims.client_id !== 'string') return { kind: 'invalid' };
  if (!isForThisServer(ctx, claims.aud)) return { kind: 'wrong_audience' };
  // Introspection checks the issuing client's status for JWTs; an opaque token is checked here the same way
  // (the cached client record, kept current by the change feed).
  const client = await getClient(ctx, claims.client_id);
  if (!client || client.status !== 'active') return { kind: 'invalid' };
  return { kind: 'valid', clientId: claims.client_id, subject: typeof claims.sub === 'string' ? claims.sub : null, scopes: typeof claims.scope === 'string' ? claims.scope.split(' ') : [] };
}

/**
 * checkBearer under the per-address failure throttle (limits/throttle-policy.ts bearerPolicy): a presented token
 * that is not valid for this server counts as a failed guess from `ip`; past the allowance a further attempt is
 * refused with ThrottledError (429, Retry-After) before the token is looked at. A request without a bearer
 * credential guesses nothing and is not counted.
 */
export async function checkBearerThrottled(ctx: OAuthContext, header: string | undefined, ip: string): Promise<BearerCheck> {
  if (header === undefined || header === '' || !/^bearer\b/i.test(header)) return checkBearer(ctx, header);
  return throttledCheck(ctx.limits.bearer.reserve(bearerKeys(ip)), {
    what: 'bearer token',
    check: () => checkBearer(ctx, header),
    failed: (r) => r.kind === 'invalid' || r.kind === 'wrong_audience',
  });
}

/**
 * The valid bearer token of a request (checkBearerThrottled), or the realm's refusal: 401 without a usable token,
 * 429 (RFC 9457 problem, Retry-After) once an address has presented too many bad ones. The one token check of the
 * operator surfaces (the admin API, /metrics).
 */
async function validBearer(ctx: OAuthContext, header: string | undefined, ip: string, refuse: Refusals): Promise<Extract<BearerCheck, { kind: 'valid' }>> {
  let check: BearerCheck;
  try {
    check = await checkBearerThrottled(ctx, header, ip);
  } catch (err) {
    if (err instanceof ThrottledError) throw new AdminHttpError(429, err.message, { ...err.headers });
    throw err;
  }
  if (check.kind === 'missing') throw refuse.noToken;
  if (check.kind === 'invalid') throw refuse.invalid;
  if (check.kind === 'wrong_audience') throw refuse.wrongAudience;
  return check;
}

/**
 * Checks the Authorization header of an admin request; `write` when the method changes something. Throws the
 * RFC 6750 refusal: 401 without a usable token, 403 insufficient_scope with a valid token lacking the scope.
 */
export async function authorizeAdmin(ctx: OAuthContext, header: string | undefined, write: boolean, ip: string): Promise<AdminGrant> {
  const { clientId, subject, scopes } = await validBearer(ctx, header, ip, ADMIN_REFUSALS);
  const all = scopes.includes(ADMIN_SCOPE);
  if (!all && !scopes.includes(ADMIN_READ_SCOPE)) throw NO_SCOPE;
  if (write && !all) throw READ_ONLY;
  return { clientId, subject, write: all };
}

const METRICS_REFUSALS = refusals('tessera-metrics');
const NO_METRICS_SCOPE = new AdminHttpError(403, `The access token lacks the scope ${METRICS_SCOPE} (or ${ADMIN_SCOPE} or ${ADMIN_READ_SCOPE})`, challenge('insufficient_scope', 'The access token lacks the metrics scope', 'tessera-metrics', METRICS_SCOPE));

/**
 * Checks the Authorization header of a /metrics scrape: tessera:metrics, tessera:admin or tessera:admin:read (a
 * read-only operator's console charts the metrics); refusals as authorizeAdmin's.
 */
export async function authorizeMetrics(ctx: OAuthContext, header: string | undefined, ip: string): Promise<void> {
  const { scopes } = await validBearer(ctx, header, ip, METRICS_REFUSALS);
  if (!scopes.includes(METRICS_SCOPE) && !scopes.includes(ADMIN_SCOPE) && !scopes.includes(ADMIN_READ_SCOPE)) throw NO_METRICS_SCOPE;
}
