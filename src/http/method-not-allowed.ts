import type { FastifyInstance } from 'fastify';
import { OAuthError } from '../oauth/errors.js';
import { sendOAuthError } from './errors.js';

const ALL = ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/** Every other method on an endpoint gets 405 with Allow (RFC 9110 §15.5.6), in the §5.2 JSON shape. */
export function methodNotAllowed(app: FastifyInstance, url: string, allowed: readonly string[]): void {
  const others = ALL.filter((m) => !allowed.includes(m));
  app.route({
    method: others as unknown as string[],
    url,
    schema: { hide: true },
    handler: async (_request, reply) => {
      reply.header('allow', allowed.join(', '));
      return sendOAuthError(reply, new OAuthError('method_not_allowed', `Use ${allowed.join(' or ')} on this endpoint`, 405));
    },
  });
}
