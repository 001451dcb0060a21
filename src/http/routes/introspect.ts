import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { OAuthError } from '../../oauth/errors.js';
import { authenticateClientNow } from '../../oauth/client-auth/index.js';
import type { AuthenticatedClient } from '../../oauth/client-auth/types.js';
import type { TokenRequest } from '../../oauth/token-request.js';
import type { Client } from '../../store/types.js';
import { introspectToken } from '../../oauth/introspect.js';
import { formTokenRequest } from '../form.js';
import { limitByClient, limitByIp } from '../rate-limit.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { documentOnly, IntrospectionRequestBody, IntrospectionResponseBody, OAuthErrorBody } from '../schemas.js';
import { ENDPOINTS } from '../../endpoints.js';

/** Serialised already (the JWT answer is cached as text); Fastify sends a string with a JSON type as is. */
function send(reply: FastifyReply, body: string): void {
  reply.code(200).header('cache-control', 'no-store').header('pragma', 'no-cache').type('application/json; charset=utf-8').send(body);
}

/**
 * POST /oauth/introspect (RFC 7662). The caller authenticates with credentials (§2.1: a public client's bare
 * client_id would let anyone probe tokens, so "none" is refused); it sees its own tokens, or any token with the
 * introspect_any permission.
 */
export function introspectRoute(app: FastifyInstance, ctx: OAuthContext): void {
  const url = ENDPOINTS.introspect;
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
    // Synchronous until something has to wait (a Redis rate limit, an uncached client or user, the KDF): the
    // resource servers' steady state (cached caller, in-process limits, a JWT) answers without a promise.
    // Fastify routes a synchronous throw and a rejection alike to the error handler.
    handler: (request, reply) => {
      const limited = limitByIp(request, reply, ctx);
      return limited ? limited.then(() => authenticate(request, reply)) : authenticate(request, reply);
    },
  });

  function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    const req = formTokenRequest(request);
    const auth = authenticateClientNow(req, ctx);
    return auth instanceof Promise ? auth.then((a) => admit(request, reply, req, a)) : admit(request, reply, req, auth);
  }

  /** The caller authenticated: it must have used credentials, and be within its own rate limit. */
  function admit(request: FastifyRequest, reply: FastifyReply, req: TokenRequest, { client, method }: AuthenticatedClient): Promise<void> | undefined {
    if (method === 'none') throw OAuthError.invalidClient('Introspection requires client credentials');
    const wait = limitByClient(request, reply, ctx, client);
    return wait ? wait.then(() => answer(reply, req, client)) : answer(reply, req, client);
  }

  function answer(reply: FastifyReply, req: TokenRequest, client: Client): Promise<void> | undefined {
    const token = req.params.get('token');
    if (token === undefined) throw OAuthError.invalidRequest('The token parameter is missing');
    const body = introspectToken(ctx, client, token, req.params.get('token_type_hint'));
    if (body instanceof Promise) return body.then((b) => send(reply, b));
    send(reply, body);
    return undefined;
  }
  methodNotAllowed(app, url, ['POST']);
}
