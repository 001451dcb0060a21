import type { Client } from '../../store/types.js';
import { OAuthError } from '../errors.js';
import type { OAuthContext } from '../context.js';
import { unsealClientSecret } from '../../keys/client-secret.js';
import { HMAC_ALGS, peekJwt } from '../jwt/verify.js';
import { assertionAlg, assertionRefused, authenticateWithAssertion, hasClientAssertion, isHmacAlg } from './client-assertion.js';
import { throttledClientAuth } from './throttle.js';
import type { ClientAuthenticator } from './types.js';

/** The client secret (sealed under the master key, since HMAC needs the secret itself, not a hash). */
function secretKey(client: Client, ctx: OAuthContext): Promise<Uint8Array> {
  if (!client.secretEncrypted) return Promise.reject(assertionRefused(ctx, 'client_secret_jwt', client.clientId, 'the client has no sealed secret'));
  try {
    return Promise.resolve(new Uint8Array(unsealClientSecret(ctx.masterKey, client.clientId, client.secretEncrypted)));
  } catch {
    ctx.logger.error({ client_id: client.clientId }, 'cannot unseal the client_secret_jwt secret (wrong master key?)');
    return Promise.reject(OAuthError.invalidClient());
  }
}

/**
 * RFC 7523 §2.2 client_secret_jwt (OpenID Connect Core §9): an assertion MACed with the client secret, HS256/384/512.
 * Each assertion tests one guess of the secret, so it runs under the client-auth throttle, keyed by the client id
 * the assertion claims (iss; one without an iss is refused before any secret is tried).
 */
export const clientSecretJwt = {
  method: 'client_secret_jwt',
  matches: (req) => hasClientAssertion(req) && isHmacAlg(assertionAlg(req)),
  authenticate(req, ctx) {
    const check = () => authenticateWithAssertion(req, ctx, 'client_secret_jwt', HMAC_ALGS, (client) => secretKey(client, ctx));
    const assertion = req.params.get('client_assertion');
    const clientId = assertion === undefined ? undefined : peekJwt(assertion)?.iss;
    return clientId === undefined ? check() : throttledClientAuth(ctx, 'client', clientId, req.ip, check);
  },
} satisfies ClientAuthenticator;
