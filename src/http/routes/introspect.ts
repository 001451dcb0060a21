import type { FastifyInstance } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { OAuthError } from '../../oauth/errors.js';
import { authenticateClient } from '../../oauth/client-auth/index.js';
import { BASIC_REALM } from '../../oauth/client-auth/client-secret-basic.js';
import { introspectToken } from '../../oauth/introspect.js';
import { formTokenRequest } from '../form.js';
import { limitByClient, limitByIp } from '../rate-limit.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { documentOnly, IntrospectionRequestBody, IntrospectionResponseBody, OAuthErrorBody } from '../schemas.js';

/**
 * POST /oauth/introspect (RFC 7662). The caller authenticates with credentials (§2.1: a public client's bare
 * client_id would let anyone probe tokens, so "none" is refused); it sees its own tokens, or any token with the
 * introspect_any permission.
 */
export function introspectRoute(app: FastifyInstance, ctx: OAuthContext): void {
  const url = '/oauth/introspect';
  app.route({
    method: 'POST',
    url,
    schema: {
      summary: 'Token introspection (RFC 7662)',
      consumes: ['application/x-www-form-urlencoded'],
      body: IntrospectionRequestBody,
      response: { 200: IntrospectionResponseBody, '4xx': OAuthErrorBody, '5xx': OAuthErrorBody },
    },
    validatorCompiler: documentOnly,
    handler: async (request, reply) => {
      await limitByIp(request, reply, ctx);
      const req = formTokenRequest(request);
      const { client, method } = await authenticateClient(req, ctx);
      if (method === 'none') throw OAuthError.invalidClient('Introspection requires client credentials', req.authorization !== undefined ? BASIC_REALM : undefined);
      await limitByClient(request, reply, ctx, client);
      const token = req.params.get('token');
      if (token === undefined) throw OAuthError.invalidRequest('The token parameter is missing');
      const body = await introspectToken(ctx, client, token, req.params.get('token_type_hint'));
      // Serialised already (the JWT answer is cached as text); Fastify sends a string with a JSON type as is.
      reply.code(200).header('cache-control', 'no-store').header('pragma', 'no-cache').type('application/json; charset=utf-8');
      return reply.send(body);
    },
  });
  methodNotAllowed(app, url, ['POST']);
}
