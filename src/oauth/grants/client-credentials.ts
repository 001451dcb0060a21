import { parseScope, resolveScope } from '../scope.js';
import { resolveTargets } from '../resources.js';
import { tokenResponse } from './issue-tokens.js';
import type { GrantHandler } from './types.js';

/**
 * RFC 6749 §4.4. The token's subject is the client itself (RFC 9068 §2.2); no refresh token (§4.4.3).
 * Hot path: client from cache, secret from the verified cache, one synchronous signature.
 */
export const clientCredentialsGrant = {
  grantType: 'client_credentials',
  parameters: new Set(['scope', 'resource', 'audience']),
  confidentialOnly: true,
  async handle(req, client, ctx) {
    const scope = resolveScope(parseScope(req.params.get('scope')), client.scope, client.defaultScope);
    // RFC 8707: resource / audience narrow the token's aud to what was asked (undefined: the default audience).
    const audience = resolveTargets(req.params, client);
    return tokenResponse(await ctx.issuer.issue(audience === undefined ? { client, subject: client.clientId, scope, confirmation: req.confirmation } : { client, subject: client.clientId, scope, audience, confirmation: req.confirmation }), scope);
  },
} satisfies GrantHandler;
