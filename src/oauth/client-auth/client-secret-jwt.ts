import type { Client } from '../../store/types.js';
import { OAuthError } from '../errors.js';
import type { OAuthContext } from '../context.js';
import { unsealClientSecret } from '../../keys/client-secret.js';
import { HMAC_ALGS } from '../../federation/jwt-verify.js';
import { assertionAlg, authenticateWithAssertion, hasClientAssertion, isHmacAlg } from './client-assertion.js';
import type { ClientAuthenticator } from './types.js';

/** The client secret (sealed under the master key, since HMAC needs the secret itself, not a hash). */
function secretKey(client: Client, ctx: OAuthContext): Promise<Uint8Array> {
  if (!client.secretEncrypted) return Promise.reject(OAuthError.invalidClient());
  try {
    return Promise.resolve(new Uint8Array(unsealClientSecret(ctx.masterKey, client.clientId, client.secretEncrypted)));
  } catch {
    ctx.logger.error({ client_id: client.clientId }, 'cannot unseal the client_secret_jwt secret (wrong master key?)');
    return Promise.reject(OAuthError.invalidClient());
  }
}

/** RFC 7523 §2.2 client_secret_jwt (OpenID Connect Core §9): an assertion MACed with the client secret, HS256/384/512. */
export const clientSecretJwt = {
  method: 'client_secret_jwt',
  matches: (req) => hasClientAssertion(req) && isHmacAlg(assertionAlg(req)),
  authenticate: (req, ctx) => authenticateWithAssertion(req, ctx, 'client_secret_jwt', HMAC_ALGS, (client) => secretKey(client, ctx)),
} satisfies ClientAuthenticator;
