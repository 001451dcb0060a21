import type { JWTVerifyGetKey } from 'jose';
import type { AuthMethod, Client } from '../../store/types.js';
import type { OAuthContext } from '../context.js';
import { getClient } from '../context.js';
import { OAuthError } from '../errors.js';
import type { TokenRequest } from '../token-request.js';
import { peekJwt, verifyJwt } from '../jwt/verify.js';
import { ourAudiences } from '../jwt/audiences.js';
import { methodAllowed } from './types.js';

/** RFC 7523 §2.2. */
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export function hasClientAssertion(req: TokenRequest): boolean {
  return req.params.has('client_assertion') || req.params.has('client_assertion_type');
}

/** The assertion's header alg, unverified: only to route HMAC assertions to client_secret_jwt. */
export function assertionAlg(req: TokenRequest): string | undefined {
  const a = req.params.get('client_assertion');
  return a === undefined ? undefined : peekJwt(a)?.alg;
}

export function isHmacAlg(alg: string | undefined): boolean {
  return alg !== undefined && /^HS\d+$/.test(alg);
}

/**
 * A refused assertion. Every refusal answers the same 401 invalid_client with the same description, whether the
 * client is unknown or its signature, key id, lifetime, audience or jti was wrong: a different text for a known
 * client would tell an attacker which client ids exist and how they authenticate (RFC 6749 §5.2 leaves the
 * description to us; RFC 7521 §4.2.1 only asks for invalid_client). The reason goes to the debug log, for
 * operators; it never holds the assertion or a key.
 */
export function assertionRefused(ctx: OAuthContext, method: AuthMethod, clientId: string | undefined, reason: string): OAuthError {
  ctx.logger.debug({ client_id: clientId, method, reason }, 'client assertion refused');
  return OAuthError.invalidClient();
}

/**
 * RFC 7521 §4.2 + RFC 7523 §2.2/§3 client authentication with a JWT: iss = sub = the client id, aud our issuer,
 * our token endpoint URL or the URL of the endpoint that received the request (ourAudiences), exp required and
 * at most config.clientAssertionMaxLifetime away, nbf/iat within skew, jti required and single-use until exp
 * (ctx.replay: the store, or Redis when configured). Every failure is the same invalid_client (401,
 * assertionRefused); an unreachable client jwks_uri is 503; a half-sent assertion is invalid_request.
 */
export async function authenticateWithAssertion(
  req: TokenRequest,
  ctx: OAuthContext,
  method: AuthMethod,
  algorithms: readonly string[],
  keysFor: (client: Client) => Promise<JWTVerifyGetKey | Uint8Array | readonly Uint8Array[]>,
  onMatch?: (client: Client, keyIndex: number) => void,
): Promise<Client> {
  const type = req.params.get('client_assertion_type');
  const assertion = req.params.get('client_assertion');
  if (assertion === undefined) throw OAuthError.invalidRequest('client_assertion_type was sent without client_assertion');
  if (type === undefined) throw OAuthError.invalidRequest('client_assertion was sent without client_assertion_type');
  if (type !== CLIENT_ASSERTION_TYPE) throw assertionRefused(ctx, method, undefined, 'the client_assertion_type is not supported');
  const peek = peekJwt(assertion);
  if (!peek || peek.iss === undefined) throw assertionRefused(ctx, method, undefined, 'the assertion is not a JWT with an iss claim');
  const clientId = peek.iss;
  const refused = (reason: string) => assertionRefused(ctx, method, clientId, reason);
  if (peek.sub !== clientId) throw refused('iss and sub differ');
  const bodyId = req.params.get('client_id');
  if (bodyId !== undefined && bodyId !== clientId) throw refused('client_id does not match the assertion');
  const client = await getClient(ctx, clientId);
  if (!client) throw refused('unknown client');
  if (client.status !== 'active') throw refused('the client is disabled');
  if (!methodAllowed(client, method)) throw refused(`the client is registered for ${client.tokenEndpointAuthMethod}`);

  const now = ctx.now();
  const skew = ctx.config.clockSkew;
  const check = (keys: JWTVerifyGetKey | Uint8Array) =>
    verifyJwt(assertion, {
      keys,
      algorithms,
      issuer: clientId,
      audience: ourAudiences(ctx.config.issuer, req.path),
      required: ['exp', 'sub', 'jti'],
      clockSkew: skew,
      now,
      maxLifetime: ctx.config.clientAssertionMaxLifetime,
    });
  const keys = await keysFor(client);
  // Several secrets (client_secret_jwt during a rotation's overlap): each is tried in turn, the current first;
  // an HMAC check costs microseconds. The first refusal's reason is the one logged.
  const candidates = Array.isArray(keys) ? (keys as readonly Uint8Array[]) : [keys as JWTVerifyGetKey | Uint8Array];
  let outcome = await check(candidates[0]!);
  let matched = 0;
  for (let i = 1; !outcome.ok && i < candidates.length; i++) {
    const next = await check(candidates[i]!);
    if (next.ok) [outcome, matched] = [next, i];
  }
  if (!outcome.ok) throw refused(outcome.reason);
  const { jti, exp, sub } = outcome.payload;
  if (sub !== clientId) throw refused('iss and sub differ');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 255) throw refused('no usable jti');
  if (!(await ctx.replay.firstUse(`client-assertion:${clientId}:${jti}`, (exp as number) + skew))) throw refused('the jti was already used (replay)');
  onMatch?.(client, matched);
  return client;
}
