import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { handleTokenRequest } from '../../oauth/token-endpoint.js';
import type { TokenRequest } from '../../oauth/token-request.js';
import type { TokenResponse } from '../../oauth/grants/types.js';
import { formTokenRequest } from '../form.js';
import { limitByClient, limitByIp } from '../rate-limit.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { documentOnly, OAuthErrorBody, TokenRequestBody, TokenResponseBody } from '../schemas.js';

/** Runs one token request through the spine with rate limits, and answers RFC 6749 §5.1. Shared with compat profiles. */
export async function serveTokenRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: OAuthContext,
  build: (request: FastifyRequest) => TokenRequest,
  status = 200,
): Promise<TokenResponse> {
  await limitByIp(request, reply, ctx);
  const tokenRequest = build(request);
  const { response } = await handleTokenRequest(tokenRequest, ctx, { afterAuth: (client) => limitByClient(request, reply, ctx, client) });
  reply.code(status).header('cache-control', 'no-store').header('pragma', 'no-cache');
  return response;
}

export function tokenRoute(app: FastifyInstance, ctx: OAuthContext, prefix = ''): void {
  app.route({
    method: 'POST',
    url: `${prefix}/oauth/token`,
    schema: {
      summary: 'Token endpoint (RFC 6749 §3.2)',
      consumes: ['application/x-www-form-urlencoded'],
      body: TokenRequestBody,
      response: { 200: TokenResponseBody, '4xx': OAuthErrorBody, '5xx': OAuthErrorBody },
    },
    validatorCompiler: documentOnly,
    handler: (request, reply) => serveTokenRequest(request, reply, ctx, formTokenRequest),
  });
  methodNotAllowed(app, `${prefix}/oauth/token`, ['POST']);
}
