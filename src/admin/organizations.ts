import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { Client, IfVersion, Installation, Organization, Status, Store } from '../store/types.js';
import { VersionConflictError } from '../store/errors.js';
import { at, AdminConflictError, AdminNotFoundError, assertNoProblems, schemaProblems, type Problem } from './problems.js';
import type { Field } from './fields.js';
import { recordAdminChange, recordAdminEvent, type AdminAudit } from './audit.js';
import { scopeProblems, splitScope } from './scope.js';
import { getClient } from './clients.js';
import { nowSeconds } from './sessions.js';
import { MetadataSchema, metadataProblems } from './metadata.js';

/**
 * Organisations (the tenants that install apps) and installations (an organisation approving scopes for a client;
 * the org_implicit grant issues within them). Revoking an installation ends its refresh tokens at once.
 */
export const OrganizationRecordSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1 }),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
    metadata: Type.Optional(MetadataSchema),
  },
  { additionalProperties: false },
);

export const InstallationRecordSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1 })),
    org_id: Type.String({ minLength: 1 }),
    client_id: Type.String({ minLength: 1 }),
    scope: Type.String(),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('revoked')])),
    metadata: Type.Optional(MetadataSchema),
  },
  { additionalProperties: false },
);

/**
 * The `--metadata` flag of `tessera org` and `tessera install` (src/cli/field-flags.ts parses it as it does for
 * clients and users: a JSON object, or key=value; repeatable). The value is checked by the rules below.
 */
export const ORGANIZATION_METADATA_FIELD = {
  metadata: { schema: MetadataSchema, flag: { flag: '--metadata <json|key=value>', help: 'metadata claim templates may reference as {{org.metadata.<path>}} (a JSON object, or key=value; repeatable; replaces the whole object)', kind: 'json-object' } },
} as const satisfies Record<string, Field>;
export const INSTALLATION_METADATA_FIELD = {
  metadata: { schema: MetadataSchema, flag: { flag: '--metadata <json|key=value>', help: 'metadata claim templates may reference as {{installation.metadata.<path>}} (a JSON object, or key=value; repeatable; replaces the whole object)', kind: 'json-object' } },
} as const satisfies Record<string, Field>;

const MetadataOnly = Type.Object({ metadata: MetadataSchema });

/** A metadata value that passed its schema (an object) gets the bounds of clients' and users' metadata. */
function boundedMetadata(item: unknown, base: string): Problem[] {
  const m = (typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {}).metadata;
  return typeof m === 'object' && m !== null && !Array.isArray(m) ? metadataProblems(m as Record<string, unknown>, at(base, 'metadata')) : [];
}

export function organizationProblems(item: unknown, base: string): Problem[] {
  const problems = schemaProblems(OrganizationRecordSchema, item, base);
  const o = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
  for (const f of ['id', 'name']) if (typeof o[f] === 'string' && (o[f] as string).trim() === '') problems.push({ path: at(base, f), message: 'must not be empty' });
  problems.push(...boundedMetadata(item, base));
  return problems;
}

/** One installation record's own problems (its schema and metadata bounds); references are the caller's. */
export function installationRecordProblems(item: unknown, base: string): Problem[] {
  return [...schemaProblems(InstallationRecordSchema, item, base), ...boundedMetadata(item, base)];
}

/** An installation's approved scopes: valid scope tokens that the client itself may be granted. */
export function approvedScopeProblems(raw: string, client: Pick<Client, 'clientId' | 'scope'>, path: string): Problem[] {
  const invalid = scopeProblems(raw, path);
  if (invalid.length > 0) return invalid;
  const beyond = splitScope(raw).filter((s) => !client.scope.includes(s));
  return beyond.length === 0 ? [] : [{ path, message: `client ${client.clientId} may not be granted ${beyond.join(' ')} (its scope is "${client.scope.join(' ')}")` }];
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** What operators are shown of an organisation. */
export function describeOrganization(o: Organization): Record<string, unknown> {
  return { id: o.id, name: o.name, status: o.status, metadata: o.metadata ?? undefined, created_at: iso(o.createdAt), updated_at: iso(o.updatedAt) };
}

/** What operators are shown of an installation. */
export function describeInstallation(i: Installation): Record<string, unknown> {
  return {
    id: i.id,
    org_id: i.orgId,
    client_id: i.clientId,
    scope: i.scope.join(' '),
    status: i.status,
    metadata: i.metadata ?? undefined,
    created_at: iso(i.createdAt),
    approved_at: i.approvedAt === null ? undefined : iso(i.approvedAt),
    revoked_at: i.revokedAt === null ? undefined : iso(i.revokedAt),
  };
}

function orgImplicitWarnings(client: Client): string[] {
  return client.grantTypes.includes('org_implicit') ? [] : [`client ${client.clientId} does not have the org_implicit grant type; it cannot fetch org tokens until it does`];
}

export async function getOrganization(store: Store, id: string): Promise<Organization> {
  const o = await store.organizations.get(id);
  if (!o) throw new AdminNotFoundError(`no organization ${id}`);
  return o;
}

export async function createOrganization(store: Store, input: { id?: string; name: string; metadata?: Record<string, unknown> }, audit?: AdminAudit): Promise<Organization> {
  const o = { id: input.id ?? randomUUID(), name: input.name, ...(input.metadata !== undefined ? { metadata: input.metadata } : {}) };
  assertNoProblems(organizationProblems(o, ''));
  const created = await store.organizations.create({ ...o, status: 'active' });
  recordAdminChange(audit, { resource: 'organization', action: 'create', id: created.id });
  return created;
}

/** Disabled: no org token is issued or refreshed for it until it is enabled again. */
export async function setOrganizationStatus(store: Store, id: string, status: Status, audit?: AdminAudit): Promise<Organization> {
  const o = await store.organizations.update(id, { status });
  if (!o) throw new AdminNotFoundError(`no organization ${id}`);
  recordAdminChange(audit, { resource: 'organization', action: status === 'active' ? 'enable' : 'disable', id });
  return o;
}

/**
 * Changes an organisation's name, status and/or metadata (as the import document may); the result is checked whole,
 * with the import document's messages. Metadata is replaced whole (null removes it), as a client's is. Disabling
 * stops org tokens as setOrganizationStatus does. With `cond.ifVersion`
 * the write is a compare-and-set: one changed meanwhile (by anyone, on any node) is the store's
 * VersionConflictError and nothing is written.
 */
export async function updateOrganization(store: Store, id: string, patch: { name?: unknown; status?: unknown; metadata?: unknown }, audit?: AdminAudit, cond: IfVersion = {}): Promise<Organization> {
  const o = await getOrganization(store, id);
  const metadata = patch.metadata === undefined ? (o.metadata ?? null) : patch.metadata;
  const merged = { id, name: patch.name ?? o.name, status: patch.status ?? o.status, ...(metadata !== null ? { metadata } : {}) };
  assertNoProblems(organizationProblems(merged, ''));
  // Written only if the read merged above is still current; a caller's own read (If-Match) conflicts as the store's
  // VersionConflictError, a change between this function's read and write as a conflict to retry.
  let updated: Organization | undefined;
  try {
    const change = { name: merged.name as string, status: merged.status as Status, ...(patch.metadata !== undefined ? { metadata: metadata as Record<string, unknown> | null } : {}) };
    updated = await store.organizations.update(id, change, { ifVersion: cond.ifVersion ?? o.version });
  } catch (err) {
    if (err instanceof VersionConflictError && cond.ifVersion === undefined) throw new AdminConflictError(`organization ${id} was changed by another writer meanwhile; retry`);
    throw err;
  }
  if (!updated) throw new AdminNotFoundError(`no organization ${id}`);
  recordAdminChange(audit, { resource: 'organization', action: 'update', id, fields: Object.keys(patch).filter((k) => patch[k as keyof typeof patch] !== undefined) });
  return updated;
}

export async function getInstallation(store: Store, id: string): Promise<Installation> {
  const inst = await store.installations.get(id);
  if (!inst) throw new AdminNotFoundError(`no installation ${id}`);
  return inst;
}

/**
 * Installs a client in an organisation with approved scopes and optional metadata (re-activating a revoked
 * installation, whose scope and metadata become the ones given: an install states the installation whole).
 * Warnings are for the operator: a client without the org_implicit grant cannot fetch org tokens yet.
 */
export async function installClient(store: Store, input: { orgId: string; clientId: string; scope: string; id?: string; metadata?: Record<string, unknown> }, audit?: AdminAudit): Promise<{ installation: Installation; warnings: string[] }> {
  if (input.metadata !== undefined) assertNoProblems([...schemaProblems(MetadataOnly, { metadata: input.metadata }, ''), ...boundedMetadata(input, '')]);
  await getOrganization(store, input.orgId);
  const client = await getClient(store, input.clientId);
  assertNoProblems(approvedScopeProblems(input.scope, client, 'scope'));
  const metadata = input.metadata ?? null;
  const scope = splitScope(input.scope);
  const existing = await store.installations.find(input.orgId, input.clientId);
  if (existing?.status === 'active') throw new AdminConflictError(`${input.clientId} is already installed in ${input.orgId} (installation ${existing.id}); use install update`);
  const now = nowSeconds();
  const installation = existing
    ? (await store.installations.update(existing.id, { scope, status: 'active', approvedAt: now, revokedAt: null, metadata }))!
    : await store.installations.create({ id: input.id ?? randomUUID(), orgId: input.orgId, clientId: input.clientId, scope, status: 'active', approvedAt: now, revokedAt: null, metadata });
  recordAdminChange(audit, { resource: 'installation', action: 'install', id: installation.id, clientId: input.clientId, extra: { org_id: input.orgId, scope: installation.scope.join(' ') } });
  return { installation, warnings: orgImplicitWarnings(client) };
}

/**
 * An installation write as a compare-and-set: on `cond.ifVersion` (the caller's If-Match read: a conflict is the
 * store's VersionConflictError) or else on the version this module read and judged (a conflict to retry).
 */
async function updateInstallationIf(store: Store, inst: Installation, patch: Parameters<Store['installations']['update']>[1], cond: IfVersion): Promise<Installation> {
  let updated: Installation | undefined;
  try {
    updated = await store.installations.update(inst.id, patch, { ifVersion: cond.ifVersion ?? inst.version });
  } catch (err) {
    if (err instanceof VersionConflictError && cond.ifVersion === undefined) throw new AdminConflictError(`installation ${inst.id} was changed by another writer meanwhile; retry`);
    throw err;
  }
  if (!updated) throw new AdminNotFoundError(`no installation ${inst.id}`);
  return updated;
}

/**
 * Changes the approved scopes (refresh tokens are capped to them at their next use) and/or the metadata (replaced
 * whole; null removes it). `cond`: If-Match's version.
 */
export async function updateInstallation(
  store: Store,
  id: string,
  patch: { scope?: string; metadata?: Record<string, unknown> | null },
  audit?: AdminAudit,
  cond: IfVersion = {},
): Promise<{ installation: Installation; warnings: string[] }> {
  if (patch.scope === undefined && patch.metadata === undefined) assertNoProblems([{ path: '', message: 'must change scope or metadata (or both)' }]);
  // The record's own messages: the schema's (an object) and then the bounds, as the import document words them.
  if (patch.metadata !== undefined && patch.metadata !== null) assertNoProblems([...schemaProblems(MetadataOnly, { metadata: patch.metadata }, ''), ...boundedMetadata(patch, '')]);
  const inst = await getInstallation(store, id);
  const client = await getClient(store, inst.clientId);
  if (patch.scope !== undefined) assertNoProblems(approvedScopeProblems(patch.scope, client, 'scope'));
  const change = { ...(patch.scope !== undefined ? { scope: splitScope(patch.scope) } : {}), ...(patch.metadata !== undefined ? { metadata: patch.metadata } : {}) };
  const installation = await updateInstallationIf(store, inst, change, cond);
  const fields = Object.keys(change);
  // A scope change keeps its audit action (consumers key on it); a metadata-only change is a plain update.
  const action = patch.scope !== undefined ? 'update_scope' : 'update';
  recordAdminChange(audit, { resource: 'installation', action, id, clientId: inst.clientId, fields, extra: { org_id: inst.orgId, scope: installation.scope.join(' ') } });
  return { installation, warnings: orgImplicitWarnings(client) };
}

/**
 * Revokes an installation: the store revokes its refresh-token families in the same transaction. `cond`: If-Match's
 * version.
 */
export async function revokeInstallation(store: Store, id: string, audit?: AdminAudit, cond: IfVersion = {}): Promise<Installation> {
  const inst = await getInstallation(store, id);
  if (inst.status === 'revoked') throw new AdminConflictError(`installation ${id} is already revoked`);
  const revoked = await updateInstallationIf(store, inst, { status: 'revoked', revokedAt: nowSeconds() }, cond);
  recordAdminChange(audit, { resource: 'installation', action: 'revoke', id, clientId: inst.clientId, extra: { org_id: inst.orgId } });
  recordAdminEvent(audit, { type: 'installation.revoked', clientId: inst.clientId, subject: inst.orgId, details: { installation_id: id, org_id: inst.orgId } });
  return revoked;
}

/**
 * Deletes an organisation. One that still has installations (active or revoked) is refused unless `cascade`:
 * deleting it would silently end every app's access in it, so the operator says so explicitly. With `cascade`
 * its installations go too and their refresh tokens stop working, all in one transaction.
 */
export async function deleteOrganization(store: Store, id: string, opts: { cascade: boolean } & IfVersion): Promise<void> {
  const outcome = await store.organizations.delete(id, { withInstallations: opts.cascade, ...(opts.ifVersion !== undefined ? { ifVersion: opts.ifVersion } : {}) });
  if (outcome === 'missing') throw new AdminNotFoundError(`no organization ${id}`);
  if (outcome === 'has_installations') {
    const n = (await store.installations.list({ orgId: id })).length;
    throw new AdminConflictError(`organization ${id} has ${n} installation${n === 1 ? '' : 's'}; delete ${n === 1 ? 'it' : 'them'} first, or delete the organization with its installations (cascade)`);
  }
}

/**
 * Deletes an installation: its refresh tokens stop working at once (as with revocation), and the record is gone
 * (installing the client again starts afresh). Revoke instead to keep the record.
 */
export async function deleteInstallation(store: Store, id: string, cond: IfVersion = {}): Promise<void> {
  if (!(await store.installations.delete(id, cond))) throw new AdminNotFoundError(`no installation ${id}`);
}
