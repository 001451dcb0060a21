import type { Client } from '../../store/types.js';
import type { OAuthContext } from '../../oauth/context.js';
import { getClient } from '../../oauth/context.js';
import { jwtAccessTokens } from '../../oauth/access-tokens/jwt.js';
import { opaqueAccessTokens } from '../../oauth/access-tokens/opaque.js';
import { AdminHttpError } from './problem.js';

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

/** The 401s of a realm: no usable token, or a token that is not (or no longer) valid. */
function refusals(realm: string): { noToken: AdminHttpError; invalid: AdminHttpError } {
  return {
    noToken: new AdminHttpError(401, 'A bearer access token issued by this server is required', challenge(undefined, undefined, realm)),
    invalid: new AdminHttpError(401, 'The access token is invalid, expired or revoked', challenge('invalid_token', 'The access token is invalid, expired or revoked', realm)),
  };
}

const { noToken: NO_TOKEN, invalid: INVALID } = refusals('tessera-admin');
const NO_SCOPE = new AdminHttpError(403, `The access token lacks the scope ${ADMIN_SCOPE} (or ${ADMIN_READ_SCOPE} to read)`, challenge('insufficient_scope', 'The access token lacks the admin scope'));
const READ_ONLY = new AdminHttpError(403, `The access token has only ${ADMIN_READ_SCOPE}; this request needs ${ADMIN_SCOPE}`, challenge('insufficient_scope', 'The request needs the admin scope'));

/** RFC 6750 §2.1: `Bearer <b64token>`, the scheme case-insensitive. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The introspection answer for an access token (never a refresh token: it is no bearer credential). */
function introspect(ctx: OAuthContext, token: string): string | undefined | Promise<string | undefined> {
  if (jwtAccessTokens.recognises(token)) return jwtAccessTokens.introspect(ctx, ANY_TOKEN, token);
  if (opaqueAccessTokens.recognises(token)) return opaqueAccessTokens.introspect(ctx, ANY_TOKEN, token);
  return undefined;
}

/**
 * The active bearer token of a request: its client and scopes. Throws the realm's 401 without a usable token.
 * The one token check of the operator surfaces (the admin API, /metrics).
 */
async function bearerToken(ctx: OAuthContext, header: string | undefined, refuse: { noToken: AdminHttpError; invalid: AdminHttpError }): Promise<{ clientId: string; subject: string | null; scopes: string[] }> {
  if (header === undefined || header === '') throw refuse.noToken;
  const m = BEARER.exec(header);
  if (!m) throw /^bearer\b/i.test(header) ? refuse.invalid : refuse.noToken;
  const answer = await introspect(ctx, m[1]!);
  if (answer === undefined) throw refuse.invalid;
  const claims = JSON.parse(answer) as { active?: boolean; client_id?: unknown; scope?: unknown; sub?: unknown };
  if (claims.active !== true || typeof claims.client_id !== 'string') throw refuse.invalid;
  // Introspection checks the issuing client's status for JWTs; an opaque token is checked here the same way
  // (the cached client record, kept current by the change feed).
  const client = await getClient(ctx, claims.client_id);
  if (!client || client.status !== 'active') throw refuse.invalid;
  return { clientId: claims.client_id, subject: typeof claims.sub === 'string' ? claims.sub : null, scopes: typeof claims.scope === 'string' ? claims.scope.split(' ') : [] };
}

/**
 * Checks the Authorization header of an admin request; `write` when the method changes something. Throws the
 * RFC 6750 refusal: 401 without a usable token, 403 insufficient_scope with a valid token lacking the scope.
 */
export async function authorizeAdmin(ctx: OAuthContext, header: string | undefined, write: boolean): Promise<AdminGrant> {
  const { clientId, subject, scopes } = await bearerToken(ctx, header, { noToken: NO_TOKEN, invalid: INVALID });
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
export async function authorizeMetrics(ctx: OAuthContext, header: string | undefined): Promise<void> {
  const { scopes } = await bearerToken(ctx, header, METRICS_REFUSALS);
  if (!scopes.includes(METRICS_SCOPE) && !scopes.includes(ADMIN_SCOPE) && !scopes.includes(ADMIN_READ_SCOPE)) throw NO_METRICS_SCOPE;
}
