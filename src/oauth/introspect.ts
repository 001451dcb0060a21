import { hashToken } from '../crypto/token-hash.js';
import type { Client } from '../store/types.js';
import type { OAuthContext } from './context.js';
import { looksLikeJwt, lookUpUnknownKid, readOwnAccessToken } from './own-jwt.js';
import { getUser } from './users.js';
import { getClient } from './context.js';

/** RFC 7662 §2.2: the whole answer for a token that is not active, or that the caller may not see. */
export const INACTIVE = '{"active":false}';

/** A JWT that verified once: its serialised answer, and what must be re-checked on every request. */
interface VerifiedJwt {
  /** The whole token: the cache is keyed by its tail (cacheKeyOf), a hit must be this exact token. */
  token: string;
  kid: string;
  jti: string;
  clientId: string;
  /** The user the token speaks for (user tokens carry `username`), re-checked on every request. */
  userId: string | null;
  /** The refresh-token family the token was issued from (`sid`), re-checked against the revoked set. */
  familyId: string | null;
  exp: number;
  body: string;
}

const MAX_CACHED = 10_000;
const KEY_LENGTH = 32;

/**
 * The cache key of a JWT: its last 32 characters, inside the signature (an Ed25519 or ECDSA signature differs
 * for every token). A Map hashes its string keys afresh for every request's new string, ~1.3 ns a character:
 * a whole access token (~400 characters) cost ~0.5 µs per introspection, the tail ~0.05. The entry keeps the
 * whole token and a hit must equal it, so two tokens that share a tail only cost each other a cache miss.
 */
function cacheKeyOf(token: string): string {
  return token.length > KEY_LENGTH ? token.slice(token.length - KEY_LENGTH) : token;
}
const jwtCaches = new WeakMap<OAuthContext, Map<string, VerifiedJwt>>();

function jwtCacheFor(ctx: OAuthContext): Map<string, VerifiedJwt> {
  let cache = jwtCaches.get(ctx);
  if (!cache) {
    cache = new Map();
    jwtCaches.set(ctx, cache);
  }
  return cache;
}

/** Lets one caller see a token: its own client, or a client with the introspection permission. */
function mayIntrospect(caller: Client, tokenClientId: string): boolean {
  return caller.clientId === tokenClientId || caller.introspectAny;
}

function audienceClaim(aud: readonly string[]): string | string[] {
  return aud.length === 1 ? aud[0]! : [...aud];
}

function verifyJwt(ctx: OAuthContext, token: string): VerifiedJwt | undefined {
  const own = readOwnAccessToken(ctx, token);
  if (!own) return undefined;
  const { payload } = own;
  // The JWT's own claims (RFC 9068 §2.2 plus extensions such as username, org_id) are the answer (RFC 7662 §2.2).
  const answer: Record<string, unknown> = { active: true, ...payload, nbf: payload.nbf ?? payload.iat, token_type: 'Bearer' };
  answer.active = true;
  const body = JSON.stringify(answer);
  const userId = typeof payload.username === 'string' && typeof payload.sub === 'string' ? payload.sub : null;
  const familyId = typeof payload.sid === 'string' ? payload.sid : null;
  return { token, kid: own.kid, jti: own.jti, clientId: own.clientId, userId, familyId, exp: own.exp, body };
}

/**
 * JWT access tokens never touch the database: the signature is checked against the KeyRing once per token and
 * the serialised answer kept (bounded); every request still re-checks the key, the clock, the in-memory
 * denylist, the revoked-family set and the caller. This is the resource servers' hot path.
 */
function introspectJwt(ctx: OAuthContext, caller: Client, token: string): string | Promise<string> {
  const cache = jwtCacheFor(ctx);
  const key = cacheKeyOf(token);
  let entry = cache.get(key);
  if (entry === undefined || entry.token !== token) {
    entry = verifyJwt(ctx, token);
    if (!entry) return afterKeyLookup(ctx, caller, token);
    // A token parsed from a form is a slice of the request body and would keep all of it (up to the body limit)
    // alive while cached: the entry holds a copy of the token alone (a verified JWT is ASCII, the copy exact).
    const own = Buffer.from(token).toString();
    if (own === token) {
      entry.token = own;
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
      cache.set(cacheKeyOf(own), entry);
    }
  }
  if (entry.exp <= ctx.now()) {
    cache.delete(key);
    return INACTIVE;
  }
  // A key dropped from the ring (retired and past its publication) no longer vouches for its tokens.
  if (!ctx.keys.get(entry.kid) || ctx.denylist.has(entry.jti) || !mayIntrospect(caller, entry.clientId)) return INACTIVE;
  // A cached answer is re-checked here too: a family revoked since (reuse, RFC 7009, an installation) ends it.
  if (entry.familyId !== null && ctx.revokedFamilies.has(entry.familyId)) return INACTIVE;
  // A token outlives neither its client nor its user: both come from the per-process caches (no round trip in
  // steady state), and the caller, having just authenticated, needs no second look. The common case — the
  // caller's own client-credentials token, or cached records — answers without a promise.
  const issuedTo = entry.clientId === caller.clientId ? caller : ctx.clients.peek(entry.clientId);
  const user = entry.userId === null ? null : ctx.users.peek(entry.userId);
  if (issuedTo === undefined || user === undefined) return introspectJwtSlow(ctx, caller, entry);
  return issuedTo.status === 'active' && (user === null || user.status === 'active') ? entry.body : INACTIVE;
}

/**
 * A JWT signed with a key this node does not hold yet (rotated in elsewhere a moment ago) is decided after one
 * store look-up of its kid (single flight, rate-limited: KeyRing.lookup); anything else that failed to verify,
 * and a kid the look-up did not find, is not ours.
 */
function afterKeyLookup(ctx: OAuthContext, caller: Client, token: string): string | Promise<string> {
  const lookup = lookUpUnknownKid(ctx, token);
  if (lookup === undefined) return INACTIVE;
  return lookup.then((found) => (found ? introspectJwt(ctx, caller, token) : INACTIVE));
}

async function introspectJwtSlow(ctx: OAuthContext, caller: Client, entry: VerifiedJwt): Promise<string> {
  if (entry.clientId !== caller.clientId) {
    const issuedTo = await getClient(ctx, entry.clientId);
    if (!issuedTo || issuedTo.status !== 'active') return INACTIVE;
  }
  if (!(await userStillActive(ctx, entry.userId)).ok) return INACTIVE;
  return entry.body;
}

/** A token that names a user is active only while that user is. */
async function userStillActive(ctx: OAuthContext, userId: string | null): Promise<{ ok: boolean; username?: string }> {
  if (userId === null) return { ok: true };
  const user = await getUser(ctx, userId);
  return user && user.status === 'active' ? { ok: true, username: user.username } : { ok: false };
}

async function introspectOpaque(ctx: OAuthContext, caller: Client, token: string): Promise<string | undefined> {
  const t = await ctx.store.accessTokens.findOpaque(hashToken(token));
  if (!t) return undefined;
  if (t.expiresAt <= ctx.now() || !mayIntrospect(caller, t.clientId)) return INACTIVE;
  // Revoking a family deletes its opaque tokens where the revocation is made by token; a bulk revocation (an
  // installation, a user's sessions) only marks the families, and this check covers those too.
  if (t.familyId !== null && ctx.revokedFamilies.has(t.familyId)) return INACTIVE;
  const user = await userStillActive(ctx, t.userId);
  if (!user.ok) return INACTIVE;
  return JSON.stringify({
    active: true,
    ...(t.claims ?? {}),
    iss: ctx.config.issuer,
    sub: t.subject,
    aud: audienceClaim(t.audience),
    client_id: t.clientId,
    ...(t.scope.length > 0 ? { scope: t.scope.join(' ') } : {}),
    ...(t.orgId ? { org_id: t.orgId } : {}),
    // The family, as a JWT of the same grant carries it (oauth/issuer.ts).
    ...(t.familyId ? { sid: t.familyId } : {}),
    iat: t.issuedAt,
    nbf: t.issuedAt,
    exp: t.expiresAt,
    jti: t.jti,
    token_type: 'Bearer',
  });
}

/** Refresh tokens are introspectable by their own client only (resource servers never receive them). */
async function introspectRefresh(ctx: OAuthContext, caller: Client, token: string): Promise<string | undefined> {
  const r = await ctx.store.refreshTokens.find(hashToken(token));
  if (!r) return undefined;
  const now = ctx.now();
  const { token: t, family: f } = r;
  if (t.status !== 'active' || f.status !== 'active' || t.expiresAt <= now || f.expiresAt <= now || f.clientId !== caller.clientId) return INACTIVE;
  const user = await userStillActive(ctx, f.userId);
  if (!user.ok) return INACTIVE;
  return JSON.stringify({
    active: true,
    iss: ctx.config.issuer,
    sub: f.subject,
    client_id: f.clientId,
    ...(t.scope.length > 0 ? { scope: t.scope.join(' ') } : {}),
    ...(user.username !== undefined ? { username: user.username } : {}),
    ...(f.orgId ? { org_id: f.orgId } : {}),
    iat: t.createdAt,
    nbf: t.createdAt,
    exp: t.expiresAt,
    token_type: 'refresh_token',
  });
}

/**
 * RFC 7662 §2.2: the serialised introspection answer for `token` as seen by `caller`. token_type_hint orders the
 * search of the stored kinds only (§2.1 lets the server ignore it); a JWT-shaped token is decided without the
 * store. Expired, revoked, malformed, foreign and unknown tokens all give {"active":false}.
 */
export function introspectToken(ctx: OAuthContext, caller: Client, token: string, hint: string | undefined): string | Promise<string> {
  if (looksLikeJwt(token)) return introspectJwt(ctx, caller, token);
  return introspectStored(ctx, caller, token, hint);
}

async function introspectStored(ctx: OAuthContext, caller: Client, token: string, hint: string | undefined): Promise<string> {
  if (!/^[A-Za-z0-9_-]{20,256}$/.test(token)) return INACTIVE;
  const order = hint === 'refresh_token' ? [introspectRefresh, introspectOpaque] : [introspectOpaque, introspectRefresh];
  for (const find of order) {
    const answer = await find(ctx, caller, token);
    if (answer !== undefined) return answer;
  }
  return INACTIVE;
}
