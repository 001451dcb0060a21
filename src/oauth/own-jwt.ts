import { verifyOwnJwt } from '../keys/jwt.js';
import type { OAuthContext } from './context.js';

/** Our refresh and opaque tokens are base64url without dots; a JWT has exactly two. */
export function looksLikeJwt(token: string): boolean {
  const first = token.indexOf('.');
  return first > 0 && token.indexOf('.', first + 1) > first + 1;
}

/** The registered claims of one of OUR access tokens (RFC 9068 §2.2), after signature and shape checks. */
export interface OwnAccessToken {
  kid: string;
  payload: Record<string, unknown>;
  jti: string;
  clientId: string;
  exp: number;
}

/**
 * Verifies that `token` is an access token this server signed: a key of our KeyRing, typ at+jwt (RFC 9068
 * §2.1), our issuer, and the claims revocation and introspection rely on. Time is the caller's check.
 */
export function readOwnAccessToken(ctx: OAuthContext, token: string): OwnAccessToken | undefined {
  const verified = verifyOwnJwt(token, (kid) => ctx.keys.get(kid));
  if (!verified) return undefined;
  const { header, payload } = verified;
  if (header.typ !== 'at+jwt' || payload.iss !== ctx.config.issuer) return undefined;
  const { jti, client_id: clientId, exp } = payload;
  if (typeof jti !== 'string' || typeof clientId !== 'string' || typeof exp !== 'number' || !Number.isFinite(exp)) return undefined;
  return { kid: header.kid as string, payload, jti, clientId, exp };
}
