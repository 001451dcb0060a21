import { OAuthError } from '../errors.js';
import { getClient } from '../context.js';
import { methodAllowed, type ClientAuthenticator } from './types.js';

/**
 * Public clients (RFC 6749 §2.1, token_endpoint_auth_method "none"): identified by client_id only. Matches only
 * when no other method's credentials are present (see index.ts).
 */
export const noneAuth = {
  method: 'none',
  matches: (req) => req.params.has('client_id'),
  async authenticate(req, ctx) {
    const client = await getClient(ctx, req.params.get('client_id')!);
    if (!client || client.status !== 'active' || !methodAllowed(client, 'none')) {
      throw OAuthError.invalidClient();
    }
    return client;
  },
} satisfies ClientAuthenticator;
