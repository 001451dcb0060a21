import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { handleIntrospection } from '../../oauth/introspection-endpoint.js';
import type { Client } from '../../store/types.js';
import { formTokenRequest } from '../form.js';
import { limitByClient, limitByIp } from '../rate-limit.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { corsPreflightRoute } from '../cors.js';
import { CLIENT_AUTH_SECURITY, documentOnly, IntrospectionRequestBody, IntrospectionResponseBody, OAuthErrorBody } from '../schemas.js';
import { ENDPOINTS } from '../../endpoints.js';
import { INTROSPECTION_JWT_TYPE, wantsIntrospectionJwt } from '../../oauth/introspection-jwt.js';

/**
 * Serialised already (the JWT answer is cached as text); Fastify sends a string with a JSON type as is. Returns the
 * reply: a promise that resolves to it tells Fastify the answer is on its way. Resolving to undefined while an
 * asynchronous onSend hook (CORS) still runs would make Fastify send a second, empty answer.
 */
function send(reply: FastifyReply, body: string): FastifyReply {
  return reply.code(200).header('cache-control', 'no-store').header('pragma', 'no-cache').type('application/json; charset=utf-8').send(body);
}

/** RFC 9701 §5: the signed answer, under its own media type (no charset: a JWT is ASCII). */
function sendJwt(reply: FastifyReply, jwt: string): FastifyReply {
  return reply.code(200).header('cache-control', 'no-store').header('pragma', 'no-cache').type(INTROSPECTION_JWT_TYPE).send(jwt);
}

/**
 * POST /oauth/introspect (RFC 7662): the HTTP side of oauth/introspection-endpoint.ts (which holds the rules:
 * who may introspect, what each caller sees). This adds the rate limits and the answer's headers.
 */
export function introspectRoute(app: FastifyInstance, ctx: OAuthContext): void {
  const url = ENDPOINTS.introspect;
  /** The caller's own rate limit, once it is known; the reply carries its request (no closure per request). */
  const limitCaller = (client: Client, reply: FastifyReply) => limitByClient(reply.request, reply, ctx, client);

  app.route({
    method: 'POST',
    url,
    schema: {
      summary: 'Token introspection (RFC 7662)',
      consumes: ['application/x-www-form-urlencoded'],
      security: CLIENT_AUTH_SECURITY,
      body: IntrospectionRequestBody,
      response: { 200: IntrospectionResponseBody, '4xx': OAuthErrorBody, '5xx': OAuthErrorBody },
    },
    validatorCompiler: documentOnly,
    // Synchronous until something has to wait (a Redis rate limit, an uncached client or user, the KDF): the
    // resource servers' steady state (cached caller, in-process limits, a JWT) answers without a promise.
    // Fastify routes a synchronous throw and a rejection alike to the error handler.
    handler: (request, reply) => {
      const limited = limitByIp(request, reply, ctx);
      return limited ? limited.then(() => serve(request, reply)) : serve(request, reply);
    },
  });

  function serve(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> | undefined {
    // RFC 9701 §4: a resource server asks for a signed answer with Accept; plain JSON stays the default.
    if (wantsIntrospectionJwt(request.headers.accept)) return (handleIntrospection(formTokenRequest(request), ctx, limitCaller, reply, true) as Promise<string>).then((jwt) => sendJwt(reply, jwt));
    const body = handleIntrospection(formTokenRequest(request), ctx, limitCaller, reply);
    if (typeof body !== 'string') return body.then((b) => send(reply, b));
    send(reply, body);
    return undefined;
  }
  corsPreflightRoute(app, ctx, url, methodNotAllowed(app, url, ['POST'], { routedByEndpoint: ['OPTIONS'] }));
}
