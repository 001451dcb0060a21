import { randomId } from '../crypto/random.js';
import { assembleJwt } from '../keys/jwt.js';
import type { Client } from '../store/types.js';
import type { OAuthContext } from './context.js';

/** RFC 9701 §4: the media type a resource server asks for (Accept) and gets (Content-Type). */
export const INTROSPECTION_JWT_TYPE = 'application/token-introspection+jwt';

/**
 * Whether an Accept header asks for the JWT response (RFC 9701 §4). Only an explicit mention counts: a wildcard
 * or a missing header keeps the plain JSON answer (RFC 7662), which stays the default.
 */
export function wantsIntrospectionJwt(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    // RFC 9110 §12.5.1: q=0 means "not acceptable".
    if (type === INTROSPECTION_JWT_TYPE && !params.some((p) => /^q=0(\.0*)?$/.test(p))) return true;
  }
  return false;
}

/**
 * RFC 9701 §5: the introspection answer (`body`, the RFC 7662 JSON as serialised) as a JWT signed with the
 * server's active key: typ token-introspection+jwt (§5, against cross-JWT confusion, §8.1), iss, aud = the
 * calling resource server's client id, iat, jti, and the answer itself in the token_introspection claim. No
 * top-level sub or exp: the response must not pass for an access token. Not encrypted (encryption is optional).
 * Signed by the token issuer's signer (the signing thread when there is one).
 */
export async function introspectionJwt(ctx: OAuthContext, caller: Client, body: string): Promise<string> {
  const key = ctx.keys.active;
  const header = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'token-introspection+jwt' })).toString('base64url');
  const claims = `{"iss":${JSON.stringify(ctx.config.issuer)},"aud":${JSON.stringify(caller.clientId)},"iat":${ctx.now()},"jti":"${randomId(16)}","token_introspection":${body}}`;
  const input = `${header}.${Buffer.from(claims).toString('base64url')}`;
  return assembleJwt(input, await ctx.issuer.signer.sign(key, input));
}
