import type { FastifyInstance } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { OAuthError } from '../../oauth/errors.js';
import { authenticateClient } from '../../oauth/client-auth/index.js';
import { revokeToken } from '../../oauth/revoke.js';
import { formTokenRequest } from '../form.js';
import { limitByClient, limitByIp } from '../rate-limit.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { documentOnly, OAuthErrorBody, RevocationRequestBody } from '../schemas.js';
import { ENDPOINTS } from '../../endpoints.js';

/**
 * POST /oauth/revoke (RFC 7009). Every client authenticates, public ones with their client_id (§2.1); the
 * answer is 200 whether or not the token was found (§2.2). Its body, which §2.2 says clients ignore, is an empty
 * JSON object: clients that parse every answer as JSON (simple-oauth2 refuses a 200 that is not served as JSON)
 * work, and clients that ignore it are unaffected.
 */
export function revokeRoute(app: FastifyInstance, ctx: OAuthContext): void {
  const url = ENDPOINTS.revoke;
  app.route({
    method: 'POST',
    url,
    schema: {
      summary: 'Token revocation (RFC 7009)',
      consumes: ['application/x-www-form-urlencoded'],
      body: RevocationRequestBody,
      response: { 200: { description: 'Revoked, or nothing to revoke (an empty JSON object)', type: 'object', properties: {}, additionalProperties: false }, '4xx': OAuthErrorBody, '5xx': OAuthErrorBody },
    },
    validatorCompiler: documentOnly,
    handler: async (request, reply) => {
      await limitByIp(request, reply, ctx);
      const req = formTokenRequest(request);
      const { client } = await authenticateClient(req, ctx);
      await limitByClient(request, reply, ctx, client);
      const token = req.params.get('token');
      if (token === undefined) throw OAuthError.invalidRequest('The token parameter is missing');
      await revokeToken(ctx, client, token, req.params.get('token_type_hint'));
      reply.code(200).header('cache-control', 'no-store').header('pragma', 'no-cache');
      return {};
    },
  });
  methodNotAllowed(app, url, ['POST']);
}
