import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Client } from '../../store/types.js';
import type { OAuthContext } from '../../oauth/context.js';
import { introspectToken } from '../../oauth/introspection-endpoint.js';
import { AdminValidationError } from '../../admin/problems.js';
import { jsonObject } from './request.js';
import { problems, SECURITY } from './schemas.js';

export const INTROSPECT_PATH = '/introspect';

/**
 * An operator who may see every token: the RFC 7662 answer as the introspect_any permission gives it. Refresh
 * tokens are introspectable by their own client only (introspection-endpoint.ts), so for this viewer one is
 * inactive: an operator learns nothing from pasting a refresh token. No client has an empty id (RFC 6749 A.1).
 */
const OPERATOR_VIEW = { clientId: '', introspectAny: true } as Client;

const IntrospectBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 16_384 }), token_type_hint: Type.Optional(Type.String()) }, { additionalProperties: false });

/**
 * POST /admin/v1/introspect: the console's token inspector. The console's client is public (no credential), and
 * RFC 7662 §2.1 refuses introspection to a bare client_id; an operator's admin token (tessera:admin or
 * tessera:admin:read) is the credential here instead. A read despite its method: the admin hook lets read-only
 * operators call it (index.ts). The answer is the RFC 7662 JSON the introspection endpoint would give a caller
 * with introspect_any.
 */
export function introspectRoute(app: FastifyInstance, ctx: OAuthContext): void {
  app.post(
    INTROSPECT_PATH,
    { schema: { tags: ['admin'], summary: 'Introspect a token as an operator (RFC 7662 answer, as introspect_any sees it)', security: SECURITY, body: IntrospectBody, response: { 200: Type.Object({ active: Type.Boolean() }, { additionalProperties: true }), ...problems(400, 422) } } },
    async (request, reply) => {
      const body = jsonObject(request);
      const token = body.token;
      if (typeof token !== 'string' || token === '' || token.length > 16_384) throw new AdminValidationError([{ path: 'token', message: 'token must be a non-empty string of at most 16384 characters' }]);
      const hint = typeof body.token_type_hint === 'string' ? body.token_type_hint : undefined;
      const answer = await introspectToken(ctx, OPERATOR_VIEW, token.trim(), hint);
      return reply.header('cache-control', 'no-store').type('application/json').send(answer);
    },
  );
}
