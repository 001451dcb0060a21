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

/**
 * When a JWT did not verify because its kid names no key this node holds, and it claims to be an access token
 * (typ at+jwt, RFC 9068 §2.1): looks the kid up in the store (a key rotated in on another node a moment ago,
 * before this node's change feed brought it). Resolves true when the key is now known, so the caller verifies
 * again. Undefined when there is nothing to look up or the look-up budget refuses: the token is not ours.
 */
export function lookUpUnknownKid(ctx: OAuthContext, token: string): Promise<boolean> | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot > 1024) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (header === null || typeof header !== 'object') return undefined;
  const { kid, typ } = header as { kid?: unknown; typ?: unknown };
  if (typeof kid !== 'string' || typ !== 'at+jwt' || ctx.keys.get(kid) !== undefined) return undefined;
  return ctx.keys.lookup(kid);
}
