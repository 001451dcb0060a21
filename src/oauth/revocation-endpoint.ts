import { hashToken } from '../crypto/token-hash.js';
import type { Client } from '../store/types.js';
import type { OAuthContext } from './context.js';
import { OAuthError } from './errors.js';
import type { TokenRequest } from './token-request.js';
import { authenticateClient } from './client-auth/index.js';
import type { AfterAuth } from './introspection-endpoint.js';
import { jwtAccessTokens } from './access-tokens/jwt.js';
import { opaqueAccessTokens } from './access-tokens/opaque.js';
import { issuedToAnotherClient } from './access-tokens/format.js';
import { isLive } from '../store/liveness.js';

/**
 * The revocation endpoint (RFC 7009 §2): every client authenticates, public ones with their client_id (§2.1),
 * then the HTTP layer's own admission (`afterAuth`), then the token is revoked if it is the client's. Resolves
 * whether or not anything was revoked (§2.2: an invalid token gets the same answer); throws OAuthError for a
 * failed authentication, a missing token, or a valid token of another client (§2.1: "the request is refused").
 */
export async function handleRevocation<S>(req: TokenRequest, ctx: OAuthContext, afterAuth: AfterAuth<S>, state: S): Promise<void> {
  const { client } = await authenticateClient(req, ctx);
  await afterAuth(client, state);
  const token = req.params.get('token');
  if (token === undefined) throw OAuthError.invalidRequest('The token parameter is missing');
  const origin = { address: req.ip, requestId: req.requestId };
  await revokeToken(ctx, client, token, req.params.get('token_type_hint'), origin);
}

/** Where a revocation came from, for its event. */
export interface RevocationOrigin {
  readonly address: string | null;
  readonly requestId: string | null;
}

/** Each finder resolves true when it recognised the token (acted on or not), which ends the search. */
type StoredRevocation = (ctx: OAuthContext, client: Client, token: string, origin?: RevocationOrigin) => Promise<boolean>;

/** A refresh token revokes its whole family, and the access tokens issued from it (RFC 7009 §2.1). */
const revokeRefresh: StoredRevocation = async (ctx, client, token, origin) => {
  const record = await ctx.store.refreshTokens.find(hashToken(token));
  if (!record) return false;
  const { token: t, family } = record;
  if (family.clientId !== client.clientId) {
    // RFC 7009 §2.1 (access-tokens/format.ts issuedToAnotherClient): refused while the refresh token is valid.
    const now = ctx.now();
    if (isLive(t, now) && isLive(family, now)) throw issuedToAnotherClient();
    return true;
  }
  if (await ctx.refreshTokens.revokeFamily(family.familyId)) {
    ctx.events.emit({ type: 'family.revoked', clientId: client.clientId, subject: family.subject, address: origin?.address, requestId: origin?.requestId, details: { family_id: family.familyId, reason: 'revocation_endpoint' } });
  }
  return true;
};

/** An access token of a stored format: token.revoked when one of the client's was revoked. */
const revokeOpaque: StoredRevocation = (ctx, client, token, origin) => opaqueAccessTokens.revoke(ctx, client, token, tokenRevoked(ctx, client, origin));

function tokenRevoked(ctx: OAuthContext, client: Client, origin: RevocationOrigin | undefined): (details: Record<string, unknown>) => void {
  return (details) => ctx.events.emit({ type: 'token.revoked', clientId: client.clientId, address: origin?.address, requestId: origin?.requestId, details });
}

const ACCESS_FIRST: readonly StoredRevocation[] = [revokeOpaque, revokeRefresh];
const REFRESH_FIRST: readonly StoredRevocation[] = [revokeRefresh, revokeOpaque];

/**
 * RFC 7009 §2.1: revokes `token` if it was issued to `client`. A JWT-shaped token is the JWT format's;
 * token_type_hint only orders the search of the stored kinds (§2.1: the server MUST extend its search to all
 * token types). Unknown, malformed, expired or already revoked tokens are no-ops (§2.2); a valid token of another
 * client is refused with invalid_grant (§2.1), and nothing is revoked.
 */
export async function revokeToken(ctx: OAuthContext, client: Client, token: string, hint: string | undefined, origin?: RevocationOrigin): Promise<void> {
  if (jwtAccessTokens.recognises(token)) {
    await jwtAccessTokens.revoke(ctx, client, token, tokenRevoked(ctx, client, origin));
    return;
  }
  // Refresh tokens have the opaque shape too: anything else cannot be one of ours (no look-up).
  if (!opaqueAccessTokens.recognises(token)) return;
  for (const find of hint === 'access_token' ? ACCESS_FIRST : REFRESH_FIRST) if (await find(ctx, client, token, origin)) return;
}
