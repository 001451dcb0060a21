import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { OAuthContext } from '../../oauth/context.js';
import type { RefreshFamily } from '../../store/types.js';
import { revokeClientSessions, revokeFamily } from '../../admin/sessions.js';
import { getClient } from '../../admin/clients.js';
import { AdminNotFoundError } from '../../admin/problems.js';
import { cursorAfter, pageOf } from './request.js';
import { auditOf } from './audit.js';
import { ListQuery, problems, SECURITY } from './schemas.js';

const doc = (summary: string, extra: Record<string, unknown>) => ({ schema: { tags: ['admin'], summary, security: SECURITY, ...extra } });

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

export const FamilyView = Type.Object(
  {
    family_id: Type.String(),
    client_id: Type.String(),
    subject: Type.String(),
    scope: Type.String({ description: 'granted at sign-in; refreshes may narrow it' }),
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
    created_at: Type.String({ format: 'date-time' }),
    last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when a refresh token of it was last issued (sign-in or refresh); null once purged' }),
    expires_at: Type.String({ format: 'date-time', description: 'the absolute end of the session' }),
    revoked_at: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { description: 'A refresh-token family: one sign-in session and every refresh token rotated from it' },
);

export const ClientSessionsRevoked = Type.Object({ client_id: Type.String(), revoked_refresh_token_families: Type.Integer() });
const FamilyList = Type.Object({ items: Type.Array(FamilyView), next: Type.Union([Type.String(), Type.Null()], { description: 'the cursor of the next page' }) });

function view(f: RefreshFamily & { lastUsedAt: number | null }): Record<string, unknown> {
  return {
    family_id: f.familyId,
    client_id: f.clientId,
    subject: f.subject,
    scope: f.scope.join(' '),
    status: f.status,
    created_at: iso(f.createdAt),
    last_used_at: f.lastUsedAt === null ? null : iso(f.lastUsedAt),
    expires_at: iso(f.expiresAt),
    ...(f.revokedAt !== null ? { revoked_at: iso(f.revokedAt) } : {}),
  };
}

/**
 * The refresh-token families (sign-in sessions) of a user or a client, revoking one or all of a client's, over admin/sessions.ts: a revocation
 * is one transaction with its change-feed record, so the family's tokens stop working on every node.
 */
export function familyRoutes(app: FastifyInstance, ctx: OAuthContext, prefix: string): void {
  app.get('/users/:id/families', doc('List the refresh-token families (sessions) of a user, active and revoked (by family_id, cursor pagination)', { params: Type.Object({ id: Type.String() }), querystring: ListQuery, response: { 200: FamilyList, ...problems(400, 404) } }), async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const { limit, after } = pageOf(request);
    const user = await ctx.store.users.get(request.params.id);
    if (!user) throw new AdminNotFoundError(`no user ${request.params.id}`);
    const page = await ctx.store.refreshTokens.listFamiliesByUser(user.id, { limit: limit + 1, ...(after !== undefined ? { after } : {}) });
    const items = page.slice(0, limit);
    const next = page.length > limit ? cursorAfter(items.at(-1)!.familyId) : null;
    if (next !== null) reply.header('link', `<${prefix}/users/${encodeURIComponent(user.id)}/families?limit=${limit}&cursor=${next}>; rel="next"`);
    return { items: items.map(view), next };
  });

  app.get('/clients/:id/families', doc('List the refresh-token families (sessions) of a client, active and revoked (by family_id, cursor pagination)', { params: Type.Object({ id: Type.String() }), querystring: ListQuery, response: { 200: FamilyList, ...problems(400, 404) } }), async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const { limit, after } = pageOf(request);
    const client = await getClient(ctx.store, request.params.id);
    const page = await ctx.store.refreshTokens.listFamiliesByClient(client.clientId, { limit: limit + 1, ...(after !== undefined ? { after } : {}) });
    const items = page.slice(0, limit);
    const next = page.length > limit ? cursorAfter(items.at(-1)!.familyId) : null;
    if (next !== null) reply.header('link', `<${prefix}/clients/${encodeURIComponent(client.clientId)}/families?limit=${limit}&cursor=${next}>; rel="next"`);
    return { items: items.map(view), next };
  });

  app.post('/clients/:id/revoke-sessions', doc('Revoke every refresh-token family of the client (its refresh tokens stop working; the client stays active)', { params: Type.Object({ id: Type.String() }), response: { 200: ClientSessionsRevoked, ...problems(404) } }), async (request: FastifyRequest<{ Params: { id: string } }>) => {
    return { client_id: request.params.id, revoked_refresh_token_families: await revokeClientSessions(ctx.store, request.params.id, undefined, auditOf(ctx, request)) };
  });

  app.delete('/families/:id', doc('Revoke one refresh-token family: its refresh tokens stop working', { params: Type.Object({ id: Type.String() }), response: { 204: { type: 'null' }, ...problems(404, 409) } }), async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    await revokeFamily(ctx.store, request.params.id, undefined, auditOf(ctx, request));
    return reply.code(204).send();
  });
}
