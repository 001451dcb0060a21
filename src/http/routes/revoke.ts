import type { FastifyInstance, FastifyReply } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { handleRevocation } from '../../oauth/revocation-endpoint.js';
import type { Client } from '../../store/types.js';
import { formTokenRequest } from '../form.js';
import { limitByClient, limitByIp } from '../rate-limit.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { corsPreflightRoute } from '../cors.js';
import { CLIENT_AUTH_SECURITY, documentOnly, OAuthErrorBody, RevocationRequestBody } from '../schemas.js';
import { ENDPOINTS } from '../../endpoints.js';

/**
 * POST /oauth/revoke (RFC 7009): the HTTP side of oauth/revocation-endpoint.ts, with the rate limits. The answer
 * is 200 whether or not the token was found (§2.2). Its body, which §2.2 says clients ignore, is an empty JSON
 * object: clients that parse every answer as JSON (simple-oauth2 refuses a 200 that is not served as JSON) work,
 * and clients that ignore it are unaffected.
 */
export function revokeRoute(app: FastifyInstance, ctx: OAuthContext): void {
  const url = ENDPOINTS.revoke;
  const limitCaller = (client: Client, reply: FastifyReply) => limitByClient(reply.request, reply, ctx, client);
  app.route({
    method: 'POST',
    url,
    schema: {
      summary: 'Token revocation (RFC 7009)',
      consumes: ['application/x-www-form-urlencoded'],
      security: CLIENT_AUTH_SECURITY,
      body: RevocationRequestBody,
      response: { 200: { description: 'Revoked, or nothing to revoke (an empty JSON object)', type: 'object', properties: {}, additionalProperties: false }, '4xx': OAuthErrorBody, '5xx': OAuthErrorBody },
    },
    validatorCompiler: documentOnly,
    handler: async (request, reply) => {
      await limitByIp(request, reply, ctx);
      await handleRevocation(formTokenRequest(request), ctx, limitCaller, reply);
      reply.code(200).header('cache-control', 'no-store').header('pragma', 'no-cache');
      return {};
    },
  });
  corsPreflightRoute(app, ctx, url, methodNotAllowed(app, url, ['POST'], { routedByEndpoint: ['OPTIONS'] }));
}
