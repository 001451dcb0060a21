import type { FastifyInstance } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { authorizeAdmin } from './auth.js';
import { clientRoutes } from './clients.js';
import { identityProviderRoutes } from './identity-providers.js';
import { organizationRoutes } from './organizations.js';
import { keyRoutes } from './keys.js';
import { userRoutes } from './users.js';
import { familyRoutes } from './families.js';
import { eventRoutes } from './events.js';
import { INTROSPECT_PATH, introspectRoute } from './introspect.js';
import './audit.js';
import { adminErrorHandler, AdminHttpError, sendProblem } from './problem.js';

export const ADMIN_PREFIX = '/admin/v1';

/** POST routes that only read: a tessera:admin:read token may call them (the console's token inspector). */
const READING_POSTS: ReadonlySet<string> = new Set([ADMIN_PREFIX + INTROSPECT_PATH]);

const isWrite = (method: string, route: string | undefined): boolean => method !== 'GET' && method !== 'HEAD' && !(method === 'POST' && route !== undefined && READING_POSTS.has(route));

/**
 * The admin HTTP API (docs/admin-api.md), an encapsulated Fastify plugin under /admin/v1: its hook, error handler
 * and not-found handler apply to its own routes only, so the token, introspection and revocation endpoints run
 * nothing more. Every request is authorised by a Tessera access token (auth.ts); errors are RFC 9457 problems.
 */
export async function adminApi(app: FastifyInstance, ctx: OAuthContext): Promise<void> {
  await app.register(
    async (admin) => {
      admin.setErrorHandler(adminErrorHandler(ctx.logger));
      admin.setNotFoundHandler((request, reply) => sendProblem(reply, new AdminHttpError(404, `No admin resource ${request.method} ${request.url.split('?')[0]}`)));
      admin.decorateRequest('adminGrant', null);
      admin.addHook('onRequest', async (request) => {
        request.adminGrant = await authorizeAdmin(ctx, request.headers.authorization, isWrite(request.method, request.routeOptions.url), request.ip);
      });
      clientRoutes(admin, ctx, ADMIN_PREFIX);
      identityProviderRoutes(admin, ctx, ADMIN_PREFIX);
      organizationRoutes(admin, ctx, ADMIN_PREFIX);
      keyRoutes(admin, ctx, ADMIN_PREFIX);
      userRoutes(admin, ctx, ADMIN_PREFIX);
      familyRoutes(admin, ctx, ADMIN_PREFIX);
      eventRoutes(admin, ctx, ADMIN_PREFIX);
      introspectRoute(admin, ctx);
    },
    { prefix: ADMIN_PREFIX },
  );
}
