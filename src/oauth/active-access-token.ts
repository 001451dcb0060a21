import type { Client } from '../store/types.js';
import type { OAuthContext } from './context.js';
import { introspectToken } from './introspection-endpoint.js';

/**
 * The claims of one of this server's access tokens (JWT or opaque) while it is active, else undefined: the same
 * answer introspection gives (expiry, denylist, revoked family, the client's and the user's status), so a token
 * presented to the token endpoint (an RFC 8693 actor or subject token) is judged by the one liveness rule.
 * Refresh tokens are never accepted here (the lookup sees them as another client's, i.e. inactive).
 */
export async function activeAccessTokenClaims(ctx: OAuthContext, requester: Client, token: string): Promise<Record<string, unknown> | undefined> {
  // Seen with the introspection permission and no client id of its own: any client's access token, no refresh token.
  const viewer: Client = { ...requester, clientId: '', introspectAny: true };
  const answer = JSON.parse(await introspectToken(ctx, viewer, token, 'access_token')) as Record<string, unknown>;
  if (answer.active !== true || answer.token_type !== 'Bearer' || typeof answer.sub !== 'string') return undefined;
  return answer;
}
