import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type TObject } from '@sinclair/typebox';
import type { OAuthContext } from '../../oauth/context.js';
import type { Installation } from '../../store/types.js';
import {
  createOrganization,
  deleteInstallation,
  deleteOrganization,
  describeInstallation,
  describeOrganization,
  getOrganization,
  installClient,
  installationRecordProblems,
  InstallationRecordSchema,
  organizationProblems,
  OrganizationRecordSchema,
  revokeInstallation,
  updateInstallation,
  updateOrganization,
} from '../../admin/organizations.js';
import { AdminNotFoundError, assertNoProblems, schemaProblems } from '../../admin/problems.js';
import { MetadataSchema } from '../../admin/metadata.js';
import { checkIfMatch, cursorAfter, etagOf, jsonObject, pageOf, refuseFields } from './request.js';
import { auditOf } from './audit.js';
import { ListQuery, problems, SECURITY } from './schemas.js';
import { AdminHttpError } from './problem.js';

const doc = (summary: string, extra: Record<string, unknown>) => ({ schema: { tags: ['admin'], summary, security: SECURITY, ...extra } });

// OpenAPI documentation only (src/admin validates): the import document's own record schemas.
export const OrganizationCreateBody = Type.Partial(OrganizationRecordSchema, { description: 'An organization as the import document states it (id generated if absent)' });
export const OrganizationView = Type.Object(
  { ...OrganizationRecordSchema.properties, created_at: Type.String({ format: 'date-time' }), updated_at: Type.String({ format: 'date-time' }) },
  { description: 'An organization as `tessera org show --json` shows it' },
);
const OrganizationList = Type.Object({ items: Type.Array(OrganizationView), next: Type.Union([Type.String(), Type.Null()], { description: 'the cursor of the next page' }) });
export const OrganizationPatchBody = Type.Object(
  {
    name: Type.Optional(OrganizationRecordSchema.properties.name),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
    metadata: Type.Optional(Type.Union([MetadataSchema, Type.Null()], { description: 'replaced whole (not merged); null removes it' })),
  },
  { additionalProperties: false, description: 'JSON merge patch (RFC 7396): the name, the status and the metadata (replaced whole)' },
);
export const InstallationView = Type.Object(
  {
    ...InstallationRecordSchema.properties,
    created_at: Type.String({ format: 'date-time' }),
    approved_at: Type.Optional(Type.String({ format: 'date-time' })),
    revoked_at: Type.Optional(Type.String({ format: 'date-time' })),
    warnings: Type.Optional(Type.Array(Type.String(), { description: 'for the operator, in the answer to a write only' })),
  },
  { description: 'An installation as `tessera install show --json` shows it' },
);
const InstallationList = Type.Object({ items: Type.Array(InstallationView), next: Type.Union([Type.String(), Type.Null()], { description: 'the cursor of the next page' }) });
export const InstallationCreateBody = Type.Object(
  {
    client_id: Type.String({ minLength: 1 }),
    scope: Type.String({ description: 'approved scopes, a subset of the client scope' }),
    id: Type.Optional(Type.String({ minLength: 1 })),
    metadata: Type.Optional(MetadataSchema),
  },
  { additionalProperties: false },
);
export const InstallationPatchBody = Type.Object(
  {
    scope: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Union([MetadataSchema, Type.Null()], { description: 'replaced whole (not merged); null removes it' })),
  },
  { additionalProperties: false, description: 'JSON merge patch (RFC 7396): the approved scopes and the metadata (replaced whole)' },
);
/**
 * What a PATCH body is checked against before the merged record is: its fields and their types, but metadata is
 * left to the record's rules, so a bad one gets the import document's message (as a client's does), not the
 * documentation schema's "Expected union value".
 */
const patchShape = <T extends TObject>(body: T) => Type.Object({ ...body.properties, metadata: Type.Optional(Type.Unknown()) }, { additionalProperties: false });
const OrganizationPatchShape = patchShape(OrganizationPatchBody);
const InstallationPatchShape = patchShape(InstallationPatchBody);
const OrgParams = Type.Object({ id: Type.String() });
const OrgDeleteQuery = Type.Object({ cascade: Type.Optional(Type.Boolean({ default: false, description: 'delete its installations too (409 without it while it has any)' })) });
const InstallationParams = Type.Object({ id: Type.String(), client_id: Type.String() });

type OrgRequest = FastifyRequest<{ Params: { id: string } }>;
type InstallationRequest = FastifyRequest<{ Params: { id: string; client_id: string } }>;

const ORG_NOT_PATCHABLE = { id: 'cannot be changed', created_at: 'cannot be changed', updated_at: 'cannot be changed' };
const INSTALL_GIVEN_BY_PATH = {
  org_id: 'is given by the path /admin/v1/organizations/{id}/installations',
  status: 'cannot be set here; a new installation is active, POST .../installations/{client_id}/revoke revokes it',
};
const INSTALL_NOT_PATCHABLE = {
  id: 'cannot be changed',
  org_id: 'cannot be changed',
  client_id: 'cannot be changed',
  status: 'cannot be set by PATCH; POST .../installations/{client_id}/revoke revokes, POST .../installations installs again',
};

/** An installation's problems against the import document's record rules (its fields, messages and paths). */
function installationInputProblems(body: Record<string, unknown>, orgId: string): void {
  assertNoProblems(installationRecordProblems({ ...body, org_id: orgId }, ''));
}

/**
 * Organizations and their installations, thin over admin/organizations.ts: the same rules, transactions and
 * change-feed records as `tessera org` / `tessera install` and the import document. An installation is named by
 * its organization and client (one installation per pair); revoking it ends its refresh-token families in the
 * same transaction (the store does).
 */
export function organizationRoutes(app: FastifyInstance, ctx: OAuthContext, prefix: string): void {
  const store = ctx.store;
  const orgCurrent = async (id: string) => {
    const org = await getOrganization(store, id);
    const body = describeOrganization(org);
    return { body, etag: etagOf(body), version: org.version };
  };
  /**
   * RFC 9110 §13.1.1 across nodes, as for clients: the tag is checked against the version read with it, and the
   * write is a compare-and-set on that version in the store, so of writers holding one ETag (on any nodes)
   * exactly one wins; the others get 412. Without If-Match: no condition.
   */
  const orgIfMatch = async (request: FastifyRequest, id: string): Promise<{ ifVersion?: number }> => {
    if (request.headers['if-match'] === undefined) return {};
    const { etag, version } = await orgCurrent(id);
    checkIfMatch(request, etag);
    return { ifVersion: version };
  };
  const installationOf = async (orgId: string, clientId: string): Promise<Installation> => {
    await getOrganization(store, orgId);
    const inst = await store.installations.find(orgId, clientId);
    if (!inst) throw new AdminNotFoundError(`${clientId} is not installed in ${orgId}`);
    return inst;
  };
  const installationCurrent = async (orgId: string, clientId: string) => {
    const inst = await installationOf(orgId, clientId);
    const body = describeInstallation(inst);
    return { inst, body, etag: etagOf(body) };
  };
  /** The installation (404s as a read does) and, with If-Match, the version to compare-and-set on (as orgIfMatch). */
  const installationIfMatch = async (request: FastifyRequest, orgId: string, clientId: string): Promise<{ inst: Installation; cond: { ifVersion?: number } }> => {
    const { inst, etag } = await installationCurrent(orgId, clientId);
    if (request.headers['if-match'] === undefined) return { inst, cond: {} };
    checkIfMatch(request, etag);
    return { inst, cond: { ifVersion: inst.version } };
  };
  const withWarnings = (body: Record<string, unknown>, warnings: string[]) => (warnings.length > 0 ? { ...body, warnings } : body);

  app.get('/organizations', doc('List organizations (by id, cursor pagination)', { querystring: ListQuery, response: { 200: OrganizationList, ...problems(400) } }), async (request, reply) => {
    const { limit, after } = pageOf(request);
    const page = await store.organizations.list({ limit: limit + 1, ...(after !== undefined ? { after } : {}) });
    const items = page.slice(0, limit);
    const next = page.length > limit ? cursorAfter(items.at(-1)!.id) : null;
    if (next !== null) reply.header('link', `<${prefix}/organizations?limit=${limit}&cursor=${next}>; rel="next"`);
    return { items: items.map(describeOrganization), next };
  });

  app.post('/organizations', doc('Create an organization (id generated if absent)', { body: OrganizationCreateBody, response: { 201: OrganizationView, ...problems(400, 409, 422) } }), async (request, reply) => {
    const input = jsonObject(request);
    refuseFields(input, { status: 'cannot be set on creation (a new organization is active); PATCH it' });
    // The import document's record and messages; the id is optional here (generated), so it is only checked if given.
    assertNoProblems(organizationProblems(input.id === undefined ? { ...input, id: 'generated' } : input, ''));
    const o = await createOrganization(
      store,
      { ...(input.id !== undefined ? { id: input.id as string } : {}), name: input.name as string, ...(input.metadata !== undefined ? { metadata: input.metadata as Record<string, unknown> } : {}) },
      auditOf(ctx, request),
    );
    const body = describeOrganization(o);
    reply.code(201).header('location', `${prefix}/organizations/${encodeURIComponent(o.id)}`).header('etag', etagOf(body));
    return body;
  });

  app.get('/organizations/:id', doc('Get an organization', { params: OrgParams, response: { 200: OrganizationView, ...problems(404) } }), async (request: OrgRequest, reply) => {
    const { body, etag } = await orgCurrent(request.params.id);
    reply.header('etag', etag);
    return body;
  });

  app.patch('/organizations/:id', doc('Rename, disable or enable an organization, or replace its metadata (If-Match honoured)', { params: OrgParams, body: OrganizationPatchBody, response: { 200: OrganizationView, ...problems(400, 404, 412, 422) } }), async (request: OrgRequest, reply) => {
    const patch = jsonObject(request, ['application/merge-patch+json', 'application/json']);
    refuseFields(patch, ORG_NOT_PATCHABLE);
    assertNoProblems(schemaProblems(OrganizationPatchShape, patch, ''));
    const updated = await updateOrganization(store, request.params.id, patch, auditOf(ctx, request), await orgIfMatch(request, request.params.id));
    const body = describeOrganization(updated);
    reply.header('etag', etagOf(body));
    return body;
  });

  app.delete('/organizations/:id', doc('Delete an organization; 409 while it has installations unless ?cascade=true (If-Match honoured)', { params: OrgParams, querystring: OrgDeleteQuery, response: { 204: { type: 'null' }, ...problems(400, 404, 409, 412) } }), async (request: OrgRequest, reply) => {
    const cascade = (request.query as Record<string, unknown>).cascade;
    if (cascade !== undefined && cascade !== 'true' && cascade !== 'false') throw new AdminHttpError(400, 'cascade must be true or false');
    await deleteOrganization(store, request.params.id, { cascade: cascade === 'true', ...(await orgIfMatch(request, request.params.id)) });
    return reply.code(204).send();
  });

  app.get('/organizations/:id/installations', doc('List the installations of an organization (by client_id, cursor pagination)', { params: OrgParams, querystring: ListQuery, response: { 200: InstallationList, ...problems(400, 404) } }), async (request: OrgRequest, reply) => {
    const { limit, after } = pageOf(request);
    await getOrganization(store, request.params.id);
    // The store lists an organization's installations whole (there are few per organization); paged here.
    const all = (await store.installations.list({ orgId: request.params.id })).sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
    const rest = after === undefined ? all : all.filter((i) => i.clientId > after);
    const items = rest.slice(0, limit);
    const next = rest.length > limit ? cursorAfter(items.at(-1)!.clientId) : null;
    if (next !== null) reply.header('link', `<${prefix}/organizations/${encodeURIComponent(request.params.id)}/installations?limit=${limit}&cursor=${next}>; rel="next"`);
    return { items: items.map(describeInstallation), next };
  });

  app.post('/organizations/:id/installations', doc('Install a client with approved scopes (re-activates a revoked installation)', { params: OrgParams, body: InstallationCreateBody, response: { 201: InstallationView, ...problems(400, 404, 409, 422) } }), async (request: OrgRequest, reply) => {
    const input = jsonObject(request);
    refuseFields(input, INSTALL_GIVEN_BY_PATH);
    installationInputProblems(input, request.params.id);
    const { installation, warnings } = await installClient(store, {
      orgId: request.params.id,
      clientId: input.client_id as string,
      scope: input.scope as string,
      ...(input.id !== undefined ? { id: input.id as string } : {}),
      ...(input.metadata !== undefined ? { metadata: input.metadata as Record<string, unknown> } : {}),
    }, auditOf(ctx, request));
    const body = describeInstallation(installation);
    reply.code(201).header('location', `${prefix}/organizations/${encodeURIComponent(request.params.id)}/installations/${encodeURIComponent(installation.clientId)}`).header('etag', etagOf(body));
    return withWarnings(body, warnings);
  });

  app.get('/organizations/:id/installations/:client_id', doc('Get an installation', { params: InstallationParams, response: { 200: InstallationView, ...problems(404) } }), async (request: InstallationRequest, reply) => {
    const { body, etag } = await installationCurrent(request.params.id, request.params.client_id);
    reply.header('etag', etag);
    return body;
  });

  app.patch('/organizations/:id/installations/:client_id', doc("Change an installation's approved scopes or replace its metadata (If-Match honoured)", { params: InstallationParams, body: InstallationPatchBody, response: { 200: InstallationView, ...problems(400, 404, 412, 422) } }), async (request: InstallationRequest, reply) => {
    const patch = jsonObject(request, ['application/merge-patch+json', 'application/json']);
    refuseFields(patch, INSTALL_NOT_PATCHABLE);
    assertNoProblems(schemaProblems(InstallationPatchShape, patch, ''));
    const { id, client_id: clientId } = request.params;
    const { inst, cond } = await installationIfMatch(request, id, clientId);
    const change = { ...(patch.scope !== undefined ? { scope: patch.scope as string } : {}), ...(patch.metadata !== undefined ? { metadata: patch.metadata as Record<string, unknown> | null } : {}) };
    const { installation, warnings } = await updateInstallation(store, inst.id, change, auditOf(ctx, request), cond);
    const body = describeInstallation(installation);
    reply.header('etag', etagOf(body));
    return withWarnings(body, warnings);
  });

  app.delete('/organizations/:id/installations/:client_id', doc('Delete an installation: its refresh tokens stop working at once (If-Match honoured)', { params: InstallationParams, response: { 204: { type: 'null' }, ...problems(404, 412) } }), async (request: InstallationRequest, reply) => {
    const { id, client_id: clientId } = request.params;
    const { inst, cond } = await installationIfMatch(request, id, clientId);
    await deleteInstallation(store, inst.id, cond);
    return reply.code(204).send();
  });

  app.post('/organizations/:id/installations/:client_id/revoke', doc('Revoke an installation: its refresh tokens stop working at once (If-Match honoured)', { params: InstallationParams, response: { 200: InstallationView, ...problems(404, 409, 412) } }), async (request: InstallationRequest, reply) => {
    const { id, client_id: clientId } = request.params;
    const { inst, cond } = await installationIfMatch(request, id, clientId);
    const revoked = await revokeInstallation(store, inst.id, auditOf(ctx, request), cond);
    const body = describeInstallation(revoked);
    reply.header('etag', etagOf(body));
    return body;
  });
}
