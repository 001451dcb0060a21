import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import type { Client } from '../../store/types.js';
import { ASYMMETRIC_ALGS } from '../jwt/verify.js';
import type { OAuthContext } from '../context.js';
import { clientRemoteKeySet } from './client-jwks.js';
import { assertionAlg, assertionRefused, authenticateWithAssertion, hasClientAssertion, isHmacAlg } from './client-assertion.js';
import type { ClientAuthenticator } from './types.js';

/**
 * Inline key sets, once per client record (a changed client is a new record, so the cache follows it). Derived
 * data of an immutable record, not per-server state: keyed by the record object, it lives exactly as long as some
 * server's client cache holds that record, and two servers never share a record object. A context field would
 * have to be keyed the same way and invalidated with ctx.clients, for nothing.
 */
const inline = new WeakMap<Client, JWTVerifyGetKey>();

async function clientKeys(client: Client, ctx: OAuthContext): Promise<JWTVerifyGetKey> {
  if (client.jwks) {
    let local = inline.get(client);
    if (!local) {
      try {
        local = createLocalJWKSet(client.jwks as never);
      } catch {
        throw assertionRefused(ctx, 'private_key_jwt', client.clientId, 'the registered jwks is not a usable key set');
      }
      inline.set(client, local);
    }
    return local;
  }
  const remote = clientRemoteKeySet(client, ctx);
  if (remote) return remote.getKey;
  throw assertionRefused(ctx, 'private_key_jwt', client.clientId, 'the client has no jwks and no usable jwks_uri');
}

/**
 * RFC 7523 §2.2 private_key_jwt (OpenID Connect Core §9): the client signs an assertion with its private key; its
 * public keys are registered inline (jwks) or published at its jwks_uri. Asymmetric algorithms only, so neither
 * "none" nor an HMAC keyed with the public key can pass. HMAC assertions are client_secret_jwt's.
 */
export const privateKeyJwt = {
  method: 'private_key_jwt',
  matches: (req) => hasClientAssertion(req) && !isHmacAlg(assertionAlg(req)),
  authenticate: (req, ctx) => authenticateWithAssertion(req, ctx, 'private_key_jwt', ASYMMETRIC_ALGS, (client) => clientKeys(client, ctx)),
} satisfies ClientAuthenticator;
