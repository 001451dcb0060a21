import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors.js';
import { sendOAuthError } from './errors.js';

const ALL = ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/** A handler that claims a request the endpoint would otherwise refuse (see TokenEndpointVariant). */
export interface MethodOverride {
  handle(request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

/**
 * Every other method on an endpoint gets 405 with Allow (RFC 9110 §15.5.6), in the §5.2 JSON shape, unless
 * `override` claims the request (a compatibility variant at the same URL).
 */
export function methodNotAllowed(app: FastifyInstance, url: string, allowed: readonly string[], override?: (request: FastifyRequest) => MethodOverride | undefined): void {
  const others = ALL.filter((m) => !allowed.includes(m));
  app.route({
    method: others as unknown as string[],
    url,
    schema: { hide: true },
    handler: async (request, reply) => {
      const claimed = override?.(request);
      if (claimed) return claimed.handle(request, reply);
      reply.header('allow', allowed.join(', '));
      return sendOAuthError(reply, new OAuthError('method_not_allowed', `Use ${allowed.join(' or ')} on this endpoint`, 405));
    },
  });
}
