import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { OAuthContext } from '../../oauth/context.js';
import { describeProvider, IntrospectionProviderSchema, JwtBearerProviderSchema, OidcProviderSchema } from '../../federation/provider-config.js';
import { createIdentityProvider, getIdentityProvider, removeIdentityProvider, updateIdentityProvider } from '../../admin/identity-providers.js';
import { checkIfMatch, cursorAfter, etagOf, jsonObject, pageOf, refuseFields } from './request.js';
import { auditOf } from './audit.js';
import { ListQuery, problems, SECURITY } from './schemas.js';

const doc = (summary: string, extra: Record<string, unknown>) => ({ schema: { tags: ['admin'], summary, security: SECURITY, ...extra } });

// OpenAPI documentation only (src/admin validates): federation's own provider schemas, the import document's items.
export const ProviderBody = Type.Union([OidcProviderSchema, IntrospectionProviderSchema, JwtBearerProviderSchema], {
  description: 'A provider as the import document states it (identity_providers[]); client_secret and app_token are write-only and stored sealed',
});
export const ProviderView = Type.Object(
  { name: Type.String(), type: Type.String(), updated_at: Type.String({ format: 'date-time' }) },
  { additionalProperties: true, description: 'A provider as `tessera idp show --json` shows it: a stored secret appears as "(sealed)", never in clear' },
);
const ProviderList = Type.Object({ items: Type.Array(ProviderView), next: Type.Union([Type.String(), Type.Null()], { description: 'the cursor of the next page' }) });
export const ProviderPatchBody = Type.Object({}, { additionalProperties: true, description: 'JSON merge patch (RFC 7396) over the import-document fields but name and type; null removes a field' });
const NameParams = Type.Object({ name: Type.String() });

type NameRequest = FastifyRequest<{ Params: { name: string } }>;

const NOT_PATCHABLE = {
  name: 'cannot be changed (remove the provider and add another)',
  type: 'cannot be changed (remove the provider and add another)',
  updated_at: 'cannot be changed',
};

/**
 * Identity providers, thin over admin/identity-providers.ts: the same rules as `tessera idp` and the import
 * document, each write one transaction with its change-feed record (the store's), so every node's federation
 * cache follows. Secrets are write-only: sealed under the master key before they are stored, shown as "(sealed)".
 */
export function identityProviderRoutes(app: FastifyInstance, ctx: OAuthContext, prefix: string): void {
  const store = ctx.store;
  const current = async (name: string) => {
    const p = await getIdentityProvider(store, name);
    const body = describeProvider(p);
    return { body, etag: etagOf(body), version: p.version };
  };
  /**
   * RFC 9110 §13.1.1 across nodes, as for clients: the tag is checked against the version read with it, and the
   * write is a compare-and-set on that version in the store, so of writers holding one ETag (on any nodes)
   * exactly one wins; the others get 412. Without If-Match: no condition.
   */
  const ifMatchCondition = async (request: FastifyRequest, name: string): Promise<{ ifVersion?: number }> => {
    if (request.headers['if-match'] === undefined) return {};
    const { etag, version } = await current(name);
    checkIfMatch(request, etag);
    return { ifVersion: version };
  };

  app.get('/identity-providers', doc('List identity providers (by name, cursor pagination)', { querystring: ListQuery, response: { 200: ProviderList, ...problems(400) } }), async (request, reply) => {
    const { limit, after } = pageOf(request);
    // The store lists providers whole, ordered by name (there are few); paged here.
    const all = await store.identityProviders.list();
    const rest = after === undefined ? all : all.filter((p) => p.name > after);
    const items = rest.slice(0, limit);
    const next = rest.length > limit ? cursorAfter(items.at(-1)!.name) : null;
    if (next !== null) reply.header('link', `<${prefix}/identity-providers?limit=${limit}&cursor=${next}>; rel="next"`);
    return { items: items.map(describeProvider), next };
  });

  app.post('/identity-providers', doc('Add an identity provider (409 if the name is taken); secrets are stored sealed', { body: ProviderBody, response: { 201: ProviderView, ...problems(400, 409, 422) } }), async (request, reply) => {
    const input = jsonObject(request);
    refuseFields(input, { updated_at: 'cannot be set' });
    const p = await createIdentityProvider(store, input, ctx.masterKey, auditOf(ctx, request));
    const body = describeProvider(p);
    reply.code(201).header('location', `${prefix}/identity-providers/${encodeURIComponent(p.name)}`).header('etag', etagOf(body));
    return body;
  });

  app.get('/identity-providers/:name', doc('Get an identity provider (secrets shown as "(sealed)")', { params: NameParams, response: { 200: ProviderView, ...problems(404) } }), async (request: NameRequest, reply) => {
    const { body, etag } = await current(request.params.name);
    reply.header('etag', etag);
    return body;
  });

  app.patch('/identity-providers/:name', doc('Change an identity provider (JSON merge patch; If-Match honoured)', { params: NameParams, body: ProviderPatchBody, response: { 200: ProviderView, ...problems(400, 404, 412, 422) } }), async (request: NameRequest, reply) => {
    const patch = jsonObject(request, ['application/merge-patch+json', 'application/json']);
    refuseFields(patch, NOT_PATCHABLE);
    const updated = await updateIdentityProvider(store, request.params.name, patch, ctx.masterKey, auditOf(ctx, request), await ifMatchCondition(request, request.params.name));
    const body = describeProvider(updated);
    reply.header('etag', etagOf(body));
    return body;
  });

  app.delete('/identity-providers/:name', doc('Remove an identity provider (user links stay, issued tokens stay valid; If-Match honoured)', { params: NameParams, response: { 204: { type: 'null' }, ...problems(404, 412) } }), async (request: NameRequest, reply: FastifyReply) => {
    await removeIdentityProvider(store, request.params.name, auditOf(ctx, request), await ifMatchCondition(request, request.params.name));
    return reply.code(204).send();
  });
}
