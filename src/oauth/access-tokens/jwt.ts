import { assembleJwt, signingInputOf } from '../../keys/jwt.js';
import type { Client, Confirmation } from '../../store/types.js';
import { tokenTypeFor } from '../confirmation.js';
import type { OAuthContext } from '../context.js';
import { getClient } from '../context.js';
import { looksLikeJwt, lookUpUnknownKid, readOwnAccessToken } from '../own-jwt.js';
import { INACTIVE, issuedToAnotherClient, mayIntrospect, userStillActive, type AccessTokenFormat } from './format.js';
import type { VerifiedJwt } from './introspection-cache.js';

function verify(ctx: OAuthContext, token: string): VerifiedJwt | undefined {
  const own = readOwnAccessToken(ctx, token);
  if (!own) return undefined;
  const { payload } = own;
  // The JWT's own claims (RFC 9068 §2.2 plus extensions such as username, org_id) are the answer (RFC 7662 §2.2).
  // RFC 9449 §6.2: a DPoP-bound token introspects as token_type DPoP, with its cnf (a claim of the token).
  const answer: Record<string, unknown> = { active: true, ...payload, nbf: payload.nbf ?? payload.iat, token_type: tokenTypeFor(payload.cnf as Confirmation | undefined) };
  answer.active = true;
  const body = JSON.stringify(answer);
  const userId = typeof payload.username === 'string' && typeof payload.sub === 'string' ? payload.sub : null;
  const familyId = typeof payload.sid === 'string' ? payload.sid : null;
  return { token, kid: own.kid, jti: own.jti, clientId: own.clientId, userId, familyId, exp: own.exp, body };
}

/**
 * JWT access tokens never touch the database: the signature is checked against the KeyRing once per token and
 * the serialised answer kept (ctx.introspectionCache, bounded); every request still re-checks the key, the
 * clock, the in-memory denylist, the revoked-family set and the caller. This is the resource servers' hot path:
 * a cached token of a cached client and user answers without a promise.
 */
function introspect(ctx: OAuthContext, caller: Client, token: string): string | Promise<string> {
  const cache = ctx.introspectionCache;
  let entry = cache.get(token);
  if (entry === undefined) {
    entry = verify(ctx, token);
    if (!entry) return afterKeyLookup(ctx, caller, token);
    cache.add(entry);
  }
  if (entry.exp <= ctx.now()) {
    cache.delete(token);
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
  if (issuedTo === undefined || user === undefined) return introspectSlow(ctx, caller, entry);
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
  return lookup.then((found) => (found ? introspect(ctx, caller, token) : INACTIVE));
}

async function introspectSlow(ctx: OAuthContext, caller: Client, entry: VerifiedJwt): Promise<string> {
  if (entry.clientId !== caller.clientId) {
    const issuedTo = await getClient(ctx, entry.clientId);
    if (!issuedTo || issuedTo.status !== 'active') return INACTIVE;
  }
  if (!(await userStillActive(ctx, entry.userId)).ok) return INACTIVE;
  return entry.body;
}

/**
 * RFC 9068 JWT access tokens (ADR 0001), signed with a pre-imported key on the event loop or the signing thread
 * (ADR 0009). A JWT cannot be recalled: revoking puts its jti on the denylist until it would have expired anyway.
 * A JWT-shaped token is decided here whether or not it verifies (nothing else has that shape).
 */
export const jwtAccessTokens = {
  name: 'jwt',

  recognises: looksLikeJwt,

  async issue(s, c, issued, extra) {
    // RFC 9068 §2.2 claims; extension claims (below) never override them.
    const claims: Record<string, unknown> = {
      iss: s.config.issuer,
      sub: c.subject,
      aud: issued.audience.length === 1 ? issued.audience[0] : issued.audience,
      client_id: c.client.clientId,
      iat: issued.issuedAt,
      exp: issued.expiresAt,
      jti: issued.jti,
    };
    if (c.scope.length > 0) claims.scope = c.scope.join(' ');
    if (c.orgId) claims.org_id = c.orgId;
    if (c.username) claims.username = c.username;
    // The refresh-token family (the login session), so introspection can refuse the token once the family is
    // revoked (oauth/revoked-families.ts). `sid` is the registered JWT claim for a session identifier (IANA
    // JSON Web Token Claims; OpenID Connect Front-Channel Logout §3); a family is one login of one client.
    if (c.familyId) claims.sid = c.familyId;
    // RFC 7800 §3.1 / RFC 9449 §6.1 / RFC 8705 §3.1: the key the presenter must prove possession of.
    if (c.confirmation) claims.cnf = c.confirmation;
    // Extension claims (custom claims, the hook's, idp, act...) last, each only where Tessera set nothing. Not a
    // spread in front of the literal: V8 then builds the object on its slow path, ~6 µs a token with three
    // custom claims against ~0.3 µs this way (docs/benchmarks.md, issue 23's guard).
    if (extra) for (const name of Object.keys(extra)) if (!Object.hasOwn(claims, name)) claims[name] = extra[name];
    const key = s.keys.active;
    const input = signingInputOf(key, claims);
    issued.token = assembleJwt(input, await s.signer.sign(key, input));
    return issued;
  },

  introspect,

  async revoke(ctx, client, token, onRevoked?: (details: Record<string, unknown>) => void) {
    let own = readOwnAccessToken(ctx, token);
    // Signed with a key rotated in elsewhere a moment ago: look it up once rather than ignore the revocation.
    if (!own && (await lookUpUnknownKid(ctx, token))) own = readOwnAccessToken(ctx, token);
    if (!own || own.exp <= ctx.now()) return true;
    if (own.clientId !== client.clientId) {
      // RFC 7009 §2.1: another client's token is refused while it is valid; a revoked one is merely invalid (§2.2).
      const sid = own.payload.sid;
      if (!ctx.denylist.has(own.jti) && !(typeof sid === 'string' && ctx.revokedFamilies.has(sid))) throw issuedToAnotherClient();
      return true;
    }
    await ctx.denylist.deny(own.jti, own.clientId, own.exp);
    onRevoked?.({ token_type: 'access_token', format: 'jwt', jti: own.jti });
    return true;
  },
} satisfies AccessTokenFormat;
