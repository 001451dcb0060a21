import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors.js';
import { sendOAuthError } from './errors.js';

/** A handler that claims a request the endpoint would otherwise refuse (see TokenEndpointVariant). */
export interface MethodOverride {
  handle(request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

/** The methods each endpoint of an app allows, for the 405 answers (url -> Allow list). */
const allowedByApp = new WeakMap<FastifyInstance, Map<string, readonly string[]>>();

function refuse(reply: FastifyReply, allowed: readonly string[]): FastifyReply {
  reply.header('allow', allowed.join(', '));
  return sendOAuthError(reply, new OAuthError('method_not_allowed', `Use ${allowed.join(' or ')} on this endpoint`, 405));
}

/**
 * Every other method on an endpoint gets 405 with Allow (RFC 9110 §15.5.6), in the §5.2 JSON shape, unless
 * `override` claims the request (a compatibility variant at the same URL). The methods Fastify routes get a
 * route here; any other method (TRACE, PROPFIND, ...) reaches the not-found handler, which asks
 * `allowedMethods` and answers the same 405.
 */
export function methodNotAllowed(app: FastifyInstance, url: string, allowed: readonly string[], override?: (request: FastifyRequest) => MethodOverride | undefined): void {
  let registry = allowedByApp.get(app);
  if (!registry) allowedByApp.set(app, (registry = new Map()));
  registry.set(url, allowed);
  const others = app.supportedMethods.filter((m) => !allowed.includes(m));
  app.route({
    method: others,
    url,
    schema: { hide: true },
    handler: async (request, reply) => {
      const claimed = override?.(request);
      if (claimed) return claimed.handle(request, reply);
      return refuse(reply, allowed);
    },
  });
}

/** The Allow list of the endpoint at this request's path, when it is one (for the not-found handler). */
export function allowedMethods(request: FastifyRequest): readonly string[] | undefined {
  const q = request.url.indexOf('?');
  return allowedByApp.get(request.server)?.get(q === -1 ? request.url : request.url.slice(0, q));
}

/** Not found: 405 with Allow when the path is an endpoint and only the method is wrong, else 404. */
export function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const allowed = allowedMethods(request);
  if (allowed) return refuse(reply, allowed);
  return sendOAuthError(reply, new OAuthError('not_found', 'No such endpoint', 404));
}
