import { hashToken } from '../crypto/token-hash.js';
import type { Client } from '../store/types.js';
import { isLive } from '../store/liveness.js';
import type { OAuthContext } from './context.js';
import { OAuthError } from './errors.js';
import type { TokenRequest } from './token-request.js';
import { authenticateClientNow } from './client-auth/index.js';
import type { AuthenticatedClient } from './client-auth/types.js';
import { INACTIVE, userStillActive } from './access-tokens/format.js';
import { jwtAccessTokens } from './access-tokens/jwt.js';
import { opaqueAccessTokens } from './access-tokens/opaque.js';
import { introspectionJwt } from './introspection-jwt.js';

/**
 * What the HTTP layer does once the caller is known (its per-client rate limit), before the answer. `state` is
 * the adapter's own (Fastify's reply), passed through so the adapter builds no closure per request.
 */
export type AfterAuth<S> = (client: Client, state: S) => Promise<void> | undefined;

/**
 * The introspection endpoint (RFC 7662 §2): authenticate the caller, admit it, answer for the token. The answer
 * is the serialised JSON body (the JWT answer is cached as text). Throws OAuthError for every failure; the HTTP
 * layer renders it.
 *
 * Synchronous until something has to wait (a Redis rate limit, an uncached client or user, the KDF, a stored
 * token): the resource servers' steady state (cached caller, in-process limits, a cached JWT) answers without
 * a promise. A synchronous refusal throws.
 */
export function handleIntrospection<S>(req: TokenRequest, ctx: OAuthContext, afterAuth: AfterAuth<S>, state: S, asJwt = false): string | Promise<string> {
  const auth = authenticateClientNow(req, ctx);
  return auth instanceof Promise ? auth.then((a) => admit(req, ctx, a, afterAuth, state, asJwt)) : admit(req, ctx, auth, afterAuth, state, asJwt);
}

/**
 * RFC 7662 §2.1: the caller authenticates with credentials. A public client's bare client_id would let anyone
 * probe tokens, so "none" is refused; then the caller's own limits apply.
 */
function admit<S>(req: TokenRequest, ctx: OAuthContext, { client, method }: AuthenticatedClient, afterAuth: AfterAuth<S>, state: S, asJwt: boolean): string | Promise<string> {
  if (method === 'none') throw OAuthError.invalidClient('Introspection requires client credentials');
  const wait = afterAuth(client, state);
  const respond = asJwt ? answerAsJwt : answer;
  return wait ? wait.then(() => respond(req, ctx, client)) : respond(req, ctx, client);
}

/** RFC 9701: the same answer, signed, for the calling resource server (introspection-jwt.ts). */
async function answerAsJwt(req: TokenRequest, ctx: OAuthContext, caller: Client): Promise<string> {
  return introspectionJwt(ctx, caller, await answer(req, ctx, caller));
}

function answer(req: TokenRequest, ctx: OAuthContext, caller: Client): string | Promise<string> {
  const token = req.params.get('token');
  if (token === undefined) throw OAuthError.invalidRequest('The token parameter is missing');
  return introspectToken(ctx, caller, token, req.params.get('token_type_hint'));
}

/**
 * RFC 7662 §2.2: the serialised answer for `token` as seen by `caller`, who sees its own tokens, or any token
 * with the introspect_any permission. A JWT-shaped token is decided by the JWT format without the store;
 * token_type_hint orders the search of the stored kinds only (§2.1 lets the server ignore it). Expired, revoked,
 * malformed, foreign and unknown tokens all give {"active":false}.
 */
export function introspectToken(ctx: OAuthContext, caller: Client, token: string, hint: string | undefined): string | Promise<string> {
  if (jwtAccessTokens.recognises(token)) return jwtAccessTokens.introspect(ctx, caller, token);
  // Refresh tokens have the opaque shape too: anything else is none of ours.
  if (!opaqueAccessTokens.recognises(token)) return INACTIVE;
  return introspectStored(ctx, caller, token, hint === 'refresh_token' ? REFRESH_FIRST : ACCESS_FIRST);
}

type StoredIntrospection = (ctx: OAuthContext, caller: Client, token: string) => Promise<string | undefined>;

/** Refresh tokens are introspectable by their own client only (resource servers never receive them). */
const introspectRefresh: StoredIntrospection = async (ctx, caller, token) => {
  const r = await ctx.store.refreshTokens.find(hashToken(token));
  if (!r) return undefined;
  const now = ctx.now();
  const { token: t, family: f } = r;
  if (!isLive(t, now) || !isLive(f, now) || f.clientId !== caller.clientId) return INACTIVE;
  const user = await userStillActive(ctx, f.userId);
  if (!user.ok) return INACTIVE;
  return JSON.stringify({
    active: true,
    iss: ctx.config.issuer,
    sub: f.subject,
    client_id: f.clientId,
    // RFC 8707 §2.2: the resources the refresh token's grant was for, when it named any.
    ...(f.audience ? { aud: f.audience.length === 1 ? f.audience[0] : f.audience } : {}),
    ...(t.scope.length > 0 ? { scope: t.scope.join(' ') } : {}),
    ...(user.username !== undefined ? { username: user.username } : {}),
    ...(f.orgId ? { org_id: f.orgId } : {}),
    iat: t.createdAt,
    nbf: t.createdAt,
    exp: t.expiresAt,
    token_type: 'refresh_token',
  });
};

const ACCESS_FIRST: readonly StoredIntrospection[] = [opaqueAccessTokens.introspect, introspectRefresh];
const REFRESH_FIRST: readonly StoredIntrospection[] = [introspectRefresh, opaqueAccessTokens.introspect];

async function introspectStored(ctx: OAuthContext, caller: Client, token: string, order: readonly StoredIntrospection[]): Promise<string> {
  for (const find of order) {
    const answer = await find(ctx, caller, token);
    if (answer !== undefined) return answer;
  }
  return INACTIVE;
}
