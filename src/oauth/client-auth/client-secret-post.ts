import { OAuthError } from '../errors.js';
import { clientBySecret } from './client-secret.js';
import { whenReady, type ClientAuthenticator } from './types.js';

/** RFC 6749 §2.3.1: client_id and client_secret in the request body. */
export const clientSecretPost = {
  method: 'client_secret_post',
  matches: (req) => req.params.has('client_secret'),
  authenticate(req, ctx) {
    const clientId = req.params.get('client_id');
    if (clientId === undefined) throw OAuthError.invalidRequest('client_secret was sent without client_id');
    return whenReady(clientBySecret(ctx, clientId, req.params.get('client_secret')!, 'client_secret_post', req.ip), (client) => {
      if (!client) throw OAuthError.invalidClient();
      return client;
    });
  },
} satisfies ClientAuthenticator;
