import { OAuthError } from '../errors.js';
import { parseBasicAuthorization } from '../token-request.js';
import { clientBySecret } from './client-secret.js';
import { whenReady, type ClientAuthenticator } from './types.js';

/**
 * RFC 6749 §2.3.1: HTTP Basic with the form-urlencoded client id and secret; a secret sent without the encoding is
 * accepted too (token-request.ts parseBasicAuthorization says when).
 */
export const clientSecretBasic = {
  method: 'client_secret_basic',
  matches: (req) => req.authorization !== undefined && /^Basic(\s|$)/i.test(req.authorization),
  authenticate(req, ctx) {
    const creds = parseBasicAuthorization(req.authorization)!;
    const bodyId = req.params.get('client_id');
    if (bodyId !== undefined && bodyId !== creds.clientId) {
      throw OAuthError.invalidRequest('client_id in the body does not match the Authorization header');
    }
    return whenReady(clientBySecret(ctx, creds.clientId, creds.clientSecret, 'client_secret_basic', req.ip, creds.secretAsSent), (client) => {
      if (!client) throw OAuthError.invalidClient();
      return client;
    });
  },
} satisfies ClientAuthenticator;
