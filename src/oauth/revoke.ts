import { hashToken } from '../crypto/token-hash.js';
import type { Client } from '../store/types.js';
import type { OAuthContext } from './context.js';
import { looksLikeJwt, lookUpUnknownKid, readOwnAccessToken } from './own-jwt.js';

/** Each finder returns true when it recognised the token (acted on or not), which ends the search. */
type Finder = (ctx: OAuthContext, client: Client, token: string) => Promise<boolean>;

/** A refresh token revokes its whole family, and the opaque access tokens issued from it (RFC 7009 §2.1). */
const refreshToken: Finder = async (ctx, client, token) => {
  const record = await ctx.store.refreshTokens.find(hashToken(token));
  if (!record) return false;
  if (record.family.clientId === client.clientId) await ctx.refreshTokens.revokeFamily(record.family.familyId);
  return true;
};

const opaqueAccessToken: Finder = async (ctx, client, token) => {
  const hash = hashToken(token);
  const record = await ctx.store.accessTokens.findOpaque(hash);
  if (!record) return false;
  if (record.clientId === client.clientId) await ctx.store.accessTokens.deleteOpaque(hash);
  return true;
};

/** A JWT cannot be recalled: its jti goes on the denylist until it would have expired anyway. */
async function revokeJwt(ctx: OAuthContext, client: Client, token: string): Promise<void> {
  let own = readOwnAccessToken(ctx, token);
  // Signed with a key rotated in elsewhere a moment ago: look it up once rather than ignore the revocation.
  if (!own && (await lookUpUnknownKid(ctx, token))) own = readOwnAccessToken(ctx, token);
  if (!own || own.clientId !== client.clientId || own.exp <= ctx.now()) return;
  await ctx.denylist.deny(own.jti, own.clientId, own.exp);
}

/**
 * RFC 7009 §2.1: revokes `token` if it was issued to `client`. token_type_hint only orders the search (§2.1:
 * the server MUST extend its search to all token types). Unknown, malformed, expired, foreign or already
 * revoked tokens are no-ops: the endpoint answers 200 either way (§2.2), so it is not an oracle for other
 * clients' tokens.
 */
export async function revokeToken(ctx: OAuthContext, client: Client, token: string, hint: string | undefined): Promise<void> {
  if (looksLikeJwt(token)) {
    await revokeJwt(ctx, client, token);
    return;
  }
  // Our refresh and opaque tokens are 43 base64url characters; anything else cannot be one (no lookup).
  if (!/^[A-Za-z0-9_-]{20,256}$/.test(token)) return;
  const order = hint === 'access_token' ? [opaqueAccessToken, refreshToken] : [refreshToken, opaqueAccessToken];
  for (const find of order) if (await find(ctx, client, token)) return;
}
