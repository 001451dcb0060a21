import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import type { User, UserListOptions } from '../../store/types.js';
import { describeUser, type UserInput } from '../../admin/user-fields.js';
import { createUser, deleteUser, setUserPassword, updateUser, type UserSettingsPatch } from '../../admin/users.js';
import { nowSeconds, revokeUserSessions } from '../../admin/sessions.js';
import { AdminNotFoundError, AdminValidationError, type Problem } from '../../admin/problems.js';
import { checkIfMatch, cursorAfter, etagOf, jsonObject, pageOf, refuseFields } from './request.js';
import { auditOf } from './audit.js';
import { AdminHttpError } from './problem.js';
import { problems, SECURITY } from './schemas.js';
import { PasswordBody, PasswordSet, SessionsRevoked, UserCreateBody, UserCreated, UserIdParams, UserList, UserListQuery, UserPatchBody, UserView } from './user-schemas.js';

const doc = (summary: string, extra: Record<string, unknown>) => ({ schema: { tags: ['admin'], summary, security: SECURITY, ...extra } });

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** The user by id (the path names ids only, never a username), its representation, tag and stored version. */
async function current(ctx: OAuthContext, id: string): Promise<{ user: User; body: Record<string, unknown>; etag: string; version: number }> {
  const user = await ctx.store.users.get(id);
  if (!user) throw new AdminNotFoundError(`no user ${id}`);
  const body = describeUser(user);
  return { user, body, etag: etagOf(body), version: user.version };
}

/**
 * RFC 9110 §13.1.1 across nodes, as for clients: the tag is checked against the version read with it, and the
 * write is a compare-and-set on that version in the store, so of writers holding one ETag (on any nodes) exactly
 * one wins; the others get 412. Without If-Match: no condition.
 */
async function ifMatchCondition(ctx: OAuthContext, request: FastifyRequest, id: string): Promise<{ ifVersion?: number }> {
  if (request.headers['if-match'] === undefined) return {};
  const { etag, version } = await current(ctx, id);
  checkIfMatch(request, etag);
  return { ifVersion: version };
}

// What PATCH cannot change, and where it is changed instead.
const NOT_PATCHABLE = {
  id: 'cannot be changed (it is the sub of the user\'s tokens)',
  username: 'cannot be changed (delete the user and create another)',
  password: 'cannot be set by PATCH; POST /admin/v1/users/{id}/password sets it',
  password_hash: 'cannot be set by PATCH; POST /admin/v1/users/{id}/password sets it',
};

/** The list filters: each at most once, status one of the two. */
function filtersOf(request: FastifyRequest): Pick<UserListOptions, 'username' | 'email' | 'status'> {
  const q = request.query as Record<string, unknown>;
  const out: Pick<UserListOptions, 'username' | 'email' | 'status'> = {};
  for (const name of ['username', 'email'] as const) {
    if (q[name] === undefined) continue;
    if (typeof q[name] !== 'string' || q[name] === '') throw new AdminHttpError(400, `${name} must be given once, not empty`);
    out[name] = q[name];
  }
  if (q.status !== undefined) {
    if (q.status !== 'active' && q.status !== 'disabled') throw new AdminHttpError(400, 'status must be active or disabled');
    out.status = q.status;
  }
  return out;
}

/** The body of POST /users/{id}/password, its fields checked as the CLI's flags are. */
function passwordRequest(body: Record<string, unknown>): { password?: string; keepSessions: boolean } {
  const found: Problem[] = Object.keys(body)
    .filter((name) => name !== 'password' && name !== 'keep_sessions')
    .map((path) => ({ path, message: 'is not a known field' }));
  if (body.password !== undefined && typeof body.password !== 'string') found.push({ path: 'password', message: 'must be a string' });
  if (body.keep_sessions !== undefined && typeof body.keep_sessions !== 'boolean') found.push({ path: 'keep_sessions', message: 'must be a boolean' });
  if (found.length > 0) throw new AdminValidationError(found);
  return { ...(typeof body.password === 'string' ? { password: body.password } : {}), keepSessions: body.keep_sessions === true };
}

/**
 * The users resource (resource owners of the password grant), thin over admin/users.ts: the same rules,
 * transactions and change-feed records as `tessera user` and the import document.
 */
export function userRoutes(app: FastifyInstance, ctx: OAuthContext, prefix: string): void {
  app.get('/users', doc('List users (by username, cursor pagination; filter by username, email, status)', { querystring: UserListQuery, response: { 200: UserList, ...problems(400) } }), async (request, reply) => {
    const { limit, after } = pageOf(request);
    const filters = filtersOf(request);
    const page = await ctx.store.users.list({ limit: limit + 1, ...filters, ...(after !== undefined ? { after } : {}) });
    const items = page.slice(0, limit);
    const next = page.length > limit ? cursorAfter(items.at(-1)!.username) : null;
    if (next !== null) {
      const kept = new URLSearchParams(Object.entries(filters) as Array<[string, string]>).toString();
      reply.header('link', `<${prefix}/users?limit=${limit}${kept ? `&${kept}` : ''}&cursor=${next}>; rel="next"`);
    }
    return { items: items.map(describeUser), next };
  });

  app.post('/users', doc('Create a user; a given password is hashed and never returned, a generated one is shown once', { body: UserCreateBody, response: { 201: UserCreated, ...problems(400, 409, 422) } }), async (request, reply) => {
    const input = jsonObject(request) as Partial<UserInput>;
    const { user, password } = await createUser(ctx.store, input, auditOf(ctx, request));
    const body = describeUser(user);
    reply.code(201).header('location', `${prefix}/users/${encodeURIComponent(user.id)}`).header('etag', etagOf(body)).header('cache-control', 'no-store');
    return { ...body, ...(password !== undefined ? { password } : {}) };
  });

  app.get('/users/:id', doc('Get a user', { params: UserIdParams, response: { 200: UserView, ...problems(404) } }), async (request: IdRequest, reply) => {
    const { body, etag } = await current(ctx, request.params.id);
    reply.header('etag', etag);
    return body;
  });

  app.patch('/users/:id', doc('Change a user (JSON merge patch; If-Match honoured); disabling signs the user out everywhere', { params: UserIdParams, body: UserPatchBody, response: { 200: UserView, ...problems(400, 404, 412, 422) } }), async (request: IdRequest, reply) => {
    const patch = jsonObject(request, ['application/merge-patch+json', 'application/json']);
    refuseFields(patch, NOT_PATCHABLE);
    const { user } = await updateUser(ctx.store, request.params.id, patch as UserSettingsPatch, auditOf(ctx, request), await ifMatchCondition(ctx, request, request.params.id));
    const body = describeUser(user);
    reply.header('etag', etagOf(body));
    return body;
  });

  app.delete('/users/:id', doc('Delete a user (their refresh tokens stop working; If-Match honoured)', { params: UserIdParams, response: { 204: { type: 'null' }, ...problems(404, 412) } }), async (request: IdRequest, reply: FastifyReply) => {
    await deleteUser(ctx.store, request.params.id, auditOf(ctx, request), await ifMatchCondition(ctx, request, request.params.id));
    return reply.code(204).send();
  });

  app.post('/users/:id/password', doc('Set a password (generated and shown once when none is given); signs the user out everywhere unless keep_sessions', { params: UserIdParams, body: PasswordBody, response: { 200: PasswordSet, ...problems(400, 404, 422) } }), async (request: IdRequest, reply) => {
    const opts = passwordRequest(jsonObject(request));
    await current(ctx, request.params.id);
    const r = await setUserPassword(ctx.store, request.params.id, opts, auditOf(ctx, request));
    reply.header('cache-control', 'no-store');
    return { id: r.user.id, username: r.user.username, revoked_refresh_token_families: r.revoked, ...(r.password !== undefined ? { password: r.password } : {}) };
  });

  app.post('/users/:id/revoke-sessions', doc('Revoke every refresh-token family of the user (sign out everywhere)', { params: UserIdParams, response: { 200: SessionsRevoked, ...problems(404) } }), async (request: IdRequest) => {
    const { user } = await current(ctx, request.params.id);
    return { id: user.id, revoked_refresh_token_families: await revokeUserSessions(ctx.store, user.id, nowSeconds(), auditOf(ctx, request)) };
  });
}
