import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors.js';
import { sendOAuthError } from './errors.js';

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
  /** The endpoint's own error shape (a compatibility profile); default the RFC 6749 §5.2 body. */
  refuse?: Refusal;
  /**
   * Methods outside `allowed` that the endpoint routes itself, answering with `refuse` what it does not claim
   * (the token endpoint's compatibility variants: a signed GET). Not routed here.
   */
  routedByEndpoint?: readonly string[];
}

/** Answers the endpoint's 405 (for an endpoint that routes a method itself and did not claim this request). */
export type RefuseMethod = (request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * Every other method on an endpoint gets 405 with Allow (RFC 9110 §15.5.6), in the §5.2 JSON shape or the
 * endpoint's own (`refuse`). The methods Fastify routes get a route here (except `routedByEndpoint`); any other
 * method (PROPFIND, MKCOL, ...) reaches the not-found handler, which finds the endpoint by its path and answers
 * the same 405. Returns that answer for the endpoint's own routes.
 */
export function methodNotAllowed(app: FastifyInstance, url: string, allowed: readonly string[], opts: MethodNotAllowedOptions = {}): RefuseMethod {
  const endpoint: Endpoint = { allowed, refuse: opts.refuse ?? refuseInOAuthShape };
  let endpoints = endpointsByApp.get(app);
  if (!endpoints) endpointsByApp.set(app, (endpoints = new Map()));
  endpoints.set(url, endpoint);
  const routedElsewhere = opts.routedByEndpoint ?? [];
  const answer: RefuseMethod = (request, reply) => refuse(endpoint, request, reply);
  app.route({
    method: app.supportedMethods.filter((m) => !allowed.includes(m) && !routedElsewhere.includes(m)),
    url,
    schema: { hide: true },
    handler: async (request, reply) => answer(request, reply),
  });
  return answer;
}

/** Not found: 405 with Allow when the path is an endpoint and only the method is wrong, else 404. */
export function notFound(request: FastifyRequest, reply: FastifyReply): unknown {
  const q = request.url.indexOf('?');
  const endpoint = endpointsByApp.get(request.server)?.get(q === -1 ? request.url : request.url.slice(0, q));
  if (endpoint) return refuse(endpoint, request, reply);
  return sendOAuthError(reply, new OAuthError('not_found', 'No such endpoint', 404));
}
