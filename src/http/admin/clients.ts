import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import type { Client } from '../../store/types.js';
import { describeClient, type ClientInput } from '../../admin/client-fields.js';
import { createClient, deleteClient, getClient, updateClient, type ClientSettingsPatch } from '../../admin/clients.js';
import { removeClientSecret, rotateClientSecret } from '../../admin/client-secrets.js';
import { assertNoProblems, schemaProblems } from '../../admin/problems.js';
import { addApiKey, listApiKeys, removeApiKey } from '../../admin/api-keys.js';
import { checkIfMatch, cursorAfter, etagOf, jsonObject, pageOf, refuseFields } from './request.js';
import { auditOf } from './audit.js';
import { AdminHttpError } from './problem.js';
import { ApiKeyView, ClientCreateBody, ClientCreated, ClientIdParams, ClientList, ClientPatchBody, ClientView, ClientListQuery, problems, SecretIdParams, SecretRotateBody, SecretRotated, SECURITY } from './schemas.js';

const doc = (summary: string, extra: Record<string, unknown>) => ({ schema: { tags: ['admin'], summary, security: SECURITY, ...extra } });

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** A client as `tessera client show --json` shows it (settings, has_secret, times, its API keys). */
async function view(ctx: OAuthContext, c: Client): Promise<Record<string, unknown>> {
  const keys = await listApiKeys(ctx.store, c.clientId);
  return { ...describeClient(c), ...(keys.length > 0 ? { api_keys: keys.map((k) => `${k.kind}:${k.publicKey}`) } : {}) };
}

/**
 * The tag of a representation: everything but the secrets' last use, which nodes record on their own about once
 * a minute; a client's traffic must not make an operator's If-Match fail.
 */
function tagOf(body: Record<string, unknown>): string {
  const secrets = body.secrets as Array<Record<string, unknown>> | undefined;
  return etagOf(secrets === undefined ? body : { ...body, secrets: secrets.map(({ last_used_at: _, ...rest }) => rest) });
}

/** The current representation, its tag and the stored version, for reads and for If-Match on writes. */
async function current(ctx: OAuthContext, id: string): Promise<{ body: Record<string, unknown>; etag: string; version: number }> {
  const client = await getClient(ctx.store, id);
  const body = await view(ctx, client);
  return { body, etag: tagOf(body), version: client.version };
}

/**
 * RFC 9110 §13.1.1 across nodes: the tag is checked against the version read here, and the write is a
 * compare-and-set on that version in the store, so of writers holding one ETag (on any nodes) exactly one wins;
 * the others get 412. The condition, when there is no If-Match: none.
 */
async function ifMatchCondition(ctx: OAuthContext, request: FastifyRequest, id: string): Promise<{ ifVersion?: number }> {
  if (request.headers['if-match'] === undefined) return {};
  const { etag, version } = await current(ctx, id);
  checkIfMatch(request, etag);
  return { ifVersion: version };
}

// What PATCH cannot change, and where it is changed instead.
const NOT_PATCHABLE = {
  client_id: 'cannot be changed (delete the client and create another)',
  client_secret: 'cannot be set by PATCH; POST /admin/v1/clients/{id}/secret rotates it',
  client_secret_hash: 'cannot be set by PATCH; POST /admin/v1/clients/{id}/secret rotates it',
  api_keys: 'cannot be set by PATCH; use /admin/v1/clients/{id}/api-keys',
};

/**
 * The clients resource, thin over admin/clients.ts: the same rules, transactions and change-feed records as the
 * CLI and the import document, so a client created here gets tokens at once on every node.
 */
export function clientRoutes(app: FastifyInstance, ctx: OAuthContext, prefix: string): void {
  const opts = { masterKey: ctx.masterKey, defaults: { accessTokenTtl: ctx.config.accessTokenTtl } };

  app.get('/clients', doc('List clients (by client_id, cursor pagination; q searches client_id and name)', { querystring: ClientListQuery, response: { 200: ClientList, ...problems(400) } }), async (request, reply) => {
    const { limit, after } = pageOf(request);
    const raw = (request.query as Record<string, unknown>).q;
    if (raw !== undefined && (typeof raw !== 'string' || raw.length > 200)) throw new AdminHttpError(400, 'q must be one text of at most 200 characters');
    const search = typeof raw === 'string' && raw !== '' ? raw : undefined;
    const page = await ctx.store.clients.list({ limit: limit + 1, ...(after !== undefined ? { after } : {}), ...(search !== undefined ? { search } : {}) });
    const items = page.slice(0, limit);
    const next = page.length > limit ? cursorAfter(items.at(-1)!.clientId) : null;
    if (next !== null) reply.header('link', `<${prefix}/clients?limit=${limit}${search !== undefined ? `&q=${encodeURIComponent(search)}` : ''}&cursor=${next}>; rel="next"`);
    return { items: await Promise.all(items.map((c) => view(ctx, c))), next };
  });

  app.post('/clients', doc('Create a client; a generated secret is shown once', { body: ClientCreateBody, response: { 201: ClientCreated, ...problems(400, 409, 422) } }), async (request, reply) => {
    const input = jsonObject(request) as Partial<ClientInput>;
    const { client, secret } = await createClient(ctx.store, input, { ...opts, audit: auditOf(ctx, request) });
    // As the CLI does: a secret the caller chose is echoed like a generated one, in this answer only.
    const shown = secret ?? (typeof input.client_secret === 'string' ? input.client_secret : undefined);
    const body = await view(ctx, client);
    reply.code(201).header('location', `${prefix}/clients/${encodeURIComponent(client.clientId)}`).header('etag', tagOf(body)).header('cache-control', 'no-store');
    return { ...body, ...(shown !== undefined ? { client_secret: shown } : {}) };
  });

  app.get('/clients/:id', doc('Get a client', { params: ClientIdParams, response: { 200: ClientView, ...problems(404) } }), async (request: IdRequest, reply) => {
    const { body, etag } = await current(ctx, request.params.id);
    reply.header('etag', etag);
    return body;
  });

  app.patch('/clients/:id', doc('Change a client (JSON merge patch; If-Match honoured)', { params: ClientIdParams, body: ClientPatchBody, response: { 200: ClientView, ...problems(400, 404, 412, 422) } }), async (request: IdRequest, reply) => {
    const patch = jsonObject(request, ['application/merge-patch+json', 'application/json']);
    refuseFields(patch, NOT_PATCHABLE);
    const updated = await updateClient(ctx.store, request.params.id, patch as ClientSettingsPatch, { ...opts, audit: auditOf(ctx, request) }, await ifMatchCondition(ctx, request, request.params.id));
    const body = await view(ctx, updated);
    reply.header('etag', tagOf(body));
    return body;
  });

  app.delete('/clients/:id', doc('Delete a client (its refresh tokens stop working; If-Match honoured)', { params: ClientIdParams, response: { 204: { type: 'null' }, ...problems(404, 412) } }), async (request: IdRequest, reply: FastifyReply) => {
    await deleteClient(ctx.store, request.params.id, await ifMatchCondition(ctx, request, request.params.id), auditOf(ctx, request));
    return reply.code(204).send();
  });

  app.post('/clients/:id/secret', doc('Rotate the client secret, optionally keeping the old one for an overlap; the new one is shown once', { params: ClientIdParams, body: SecretRotateBody, response: { 200: SecretRotated, ...problems(400, 404, 409, 422) } }), async (request: IdRequest, reply) => {
    // The body is optional: without one the old secret stops working at once, as before keep_old_for existed.
    const input = request.body === undefined || request.body === null || request.body === '' ? {} : jsonObject(request);
    // Unknown fields here; keep_old_for itself is admin/client-secrets.ts's to judge (the CLI's message).
    assertNoProblems(schemaProblems(SecretRotateBody, input, '').filter((p) => p.path !== 'keep_old_for'));
    const rotated = await rotateClientSecret(ctx.store, request.params.id, ctx.masterKey, { keepOldFor: input.keep_old_for, audit: auditOf(ctx, request) });
    reply.header('cache-control', 'no-store');
    return {
      client_id: request.params.id,
      client_secret: rotated.secret,
      secret_id: rotated.secretId,
      ...(rotated.kept ? { kept_secret_id: rotated.kept.secretId, kept_until: new Date(rotated.kept.expiresAt * 1000).toISOString() } : {}),
    };
  });

  app.delete('/clients/:id/secrets/:secret_id', doc('Remove the secret a rotation kept for an overlap, before its time (not the current one)', { params: SecretIdParams, response: { 204: { type: 'null' }, ...problems(404, 409) } }), async (request: FastifyRequest<{ Params: { id: string; secret_id: string } }>, reply) => {
    await removeClientSecret(ctx.store, request.params.id, request.params.secret_id, auditOf(ctx, request));
    return reply.code(204).send();
  });

  app.get('/clients/:id/api-keys', doc('List the request-signature API keys of a client', { params: ClientIdParams, response: { 200: { type: 'object', properties: { items: { type: 'array', items: ApiKeyView } } }, ...problems(404) } }), async (request: IdRequest) => {
    await getClient(ctx.store, request.params.id);
    const keys = await listApiKeys(ctx.store, request.params.id);
    return { items: keys.map((k) => ({ client_id: k.clientId, kind: k.kind, public_key: k.publicKey })) };
  });

  app.post('/clients/:id/api-keys', doc('Register a request-signature API key (Ed25519 or compressed secp256k1, hex)', { params: ClientIdParams, response: { 201: ApiKeyView, ...problems(400, 404, 409, 422) } }), async (request: IdRequest, reply) => {
    const body = jsonObject(request);
    if (typeof body.public_key !== 'string') throw new AdminHttpError(422, 'The request breaks one or more rules; see errors', {}, [{ path: 'public_key', message: 'is required (a string)' }]);
    const key = await addApiKey(ctx.store, request.params.id, body.public_key, auditOf(ctx, request));
    reply.code(201);
    return { client_id: request.params.id, kind: key.kind, public_key: key.publicKey };
  });

  app.delete('/clients/:id/api-keys/:key', doc('Remove a request-signature API key', { params: { type: 'object', properties: { id: { type: 'string' }, key: { type: 'string' } } }, response: { 204: { type: 'null' }, ...problems(404) } }), async (request: FastifyRequest<{ Params: { id: string; key: string } }>, reply) => {
    await removeApiKey(ctx.store, request.params.id, request.params.key, auditOf(ctx, request));
    return reply.code(204).send();
  });
}
