import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors.js';
import { sendOAuthError } from './errors.js';

/** A handler that claims a request the endpoint would otherwise refuse (see TokenEndpointVariant). */
export interface MethodOverride {
  handle(request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

/** How an endpoint answers a method it does not take: the 405 OAuthError (Allow already set) in its own shape. */
export type Refusal = (err: OAuthError, request: FastifyRequest, reply: FastifyReply) => unknown;

interface Endpoint {
  allowed: readonly string[];
  refuse: Refusal;
}

/** The endpoints of each app, for the 405 answers of methods Fastify does not route (url -> endpoint). */
const endpointsByApp = new WeakMap<FastifyInstance, Map<string, Endpoint>>();

const refuseInOAuthShape: Refusal = (err, _request, reply) => sendOAuthError(reply, err);

function refuse(endpoint: Endpoint, request: FastifyRequest, reply: FastifyReply): unknown {
  reply.header('allow', endpoint.allowed.join(', '));
  return endpoint.refuse(new OAuthError('method_not_allowed', `Use ${endpoint.allowed.join(' or ')} on this endpoint`, 405), request, reply);
}

export interface MethodNotAllowedOptions {
  /** Claims a request the endpoint would otherwise refuse (a compatibility variant at the same URL). */
  override?: (request: FastifyRequest) => MethodOverride | undefined;
  /** The endpoint's own error shape (a compatibility profile); default the RFC 6749 §5.2 body. */
  refuse?: Refusal;
}

/**
 * Every other method on an endpoint gets 405 with Allow (RFC 9110 §15.5.6), in the §5.2 JSON shape or the
 * endpoint's own (`refuse`), unless `override` claims the request. The methods Fastify routes get a route here;
 * any other method (PROPFIND, MKCOL, ...) reaches the not-found handler, which finds the endpoint by its path and
 * answers the same 405.
 */
export function methodNotAllowed(app: FastifyInstance, url: string, allowed: readonly string[], opts: MethodNotAllowedOptions = {}): void {
  const endpoint: Endpoint = { allowed, refuse: opts.refuse ?? refuseInOAuthShape };
  let endpoints = endpointsByApp.get(app);
  if (!endpoints) endpointsByApp.set(app, (endpoints = new Map()));
  endpoints.set(url, endpoint);
  const { override } = opts;
  app.route({
    method: app.supportedMethods.filter((m) => !allowed.includes(m)),
    url,
    schema: { hide: true },
    handler: async (request, reply) => {
      const claimed = override?.(request);
      if (claimed) return claimed.handle(request, reply);
      return refuse(endpoint, request, reply);
    },
  });
}

/** Not found: 405 with Allow when the path is an endpoint and only the method is wrong, else 404. */
export function notFound(request: FastifyRequest, reply: FastifyReply): unknown {
  const q = request.url.indexOf('?');
  const endpoint = endpointsByApp.get(request.server)?.get(q === -1 ? request.url : request.url.slice(0, q));
  if (endpoint) return refuse(endpoint, request, reply);
  return sendOAuthError(reply, new OAuthError('not_found', 'No such endpoint', 404));
}
