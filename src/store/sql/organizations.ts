import type { IfVersion, Installation, InstallationStore, Organization, OrganizationStore } from '../types.js';
import { ConflictError, isUniqueViolation, VersionConflictError } from '../errors.js';
import type { InstallationRow, OrganizationRow } from './schema.js';
import { fromJson, num, numOrNull, nowSeconds, splitScope, toJson, type SqlContext } from './context.js';
import { revokeFamiliesWhere } from './refresh-tokens.js';

function orgFromRow(r: OrganizationRow): Organization {
  return {
    id: r.id,
    name: r.name,
    status: r.status as Organization['status'],
    metadata: fromJson<Record<string, unknown>>(r.metadata),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    version: num(r.version),
  };
}

function instFromRow(r: InstallationRow): Installation {
  return {
    id: r.id,
    orgId: r.org_id,
    clientId: r.client_id,
    scope: splitScope(r.scope),
    status: r.status as Installation['status'],
    createdAt: num(r.created_at),
    approvedAt: numOrNull(r.approved_at),
    revokedAt: numOrNull(r.revoked_at),
    metadata: fromJson<Record<string, unknown>>(r.metadata),
    version: num(r.version),
  };
}

export class SqlOrganizationStore implements OrganizationStore {
  constructor(private readonly ctx: SqlContext) {}

  async get(id: string): Promise<Organization | undefined> {
    const row = await this.ctx.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? orgFromRow(row) : undefined;
  }

  async list(opts: { limit?: number; after?: string } = {}): Promise<Organization[]> {
    let q = this.ctx.db.selectFrom('organizations').selectAll().orderBy('id').limit(opts.limit ?? 1000);
    if (opts.after !== undefined) q = q.where('id', '>', opts.after);
    return (await q.execute()).map(orgFromRow);
  }

  async create(org: Omit<Organization, 'createdAt' | 'updatedAt' | 'version'>): Promise<Organization> {
    const now = nowSeconds();
    const row: OrganizationRow = { id: org.id, name: org.name, status: org.status, metadata: toJson(org.metadata), created_at: now, updated_at: now, version: 1 };
    try {
      await this.ctx.tx(async (c) => {
        await c.db.insertInto('organizations').values(row).execute();
        await c.change('org', org.id, now);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`organization ${org.id}`);
      throw err;
    }
    return orgFromRow(row);
  }

  async update(id: string, patch: Partial<Pick<Organization, 'name' | 'status' | 'metadata'>>, cond: IfVersion = {}): Promise<Organization | undefined> {
    const now = nowSeconds();
    const set: Partial<OrganizationRow> = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.metadata !== undefined) set.metadata = toJson(patch.metadata);
    return this.ctx.tx(async (c) => {
      let q = c.db.updateTable('organizations').set((eb) => ({ ...set, updated_at: now, version: eb('version', '+', 1) })).where('id', '=', id);
      if (cond.ifVersion !== undefined) q = q.where('version', '=', cond.ifVersion);
      const res = await q.executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) {
        // Nothing matched: the organisation is gone (undefined), or a compare-and-set found another version.
        if (cond.ifVersion !== undefined && (await c.db.selectFrom('organizations').select('id').where('id', '=', id).executeTakeFirst())) throw new VersionConflictError(`organization ${id}`);
        return undefined;
      }
      await c.change('org', id, now);
      return orgFromRow(await c.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
    });
  }

  async delete(id: string, opts: { withInstallations: boolean } & IfVersion): Promise<'deleted' | 'missing' | 'has_installations'> {
    const now = nowSeconds();
    return this.ctx.tx(async (c) => {
      // The organisation row is locked first (PostgreSQL: FOR UPDATE), so an installation created meanwhile
      // (it must reference the row) waits for this transaction and then fails on the missing organisation; an
      // update meanwhile waits too, so the version read here is the one the delete below removes.
      let q = c.db.selectFrom('organizations').select(['id', 'version']).where('id', '=', id);
      if (c.dialect === 'postgres') q = q.forUpdate();
      const org = await q.executeTakeFirst();
      if (!org) return 'missing';
      if (opts.ifVersion !== undefined && num(org.version) !== opts.ifVersion) throw new VersionConflictError(`organization ${id}`);
      const installations = await c.db.selectFrom('installations').select('id').where('org_id', '=', id).execute();
      if (installations.length > 0 && !opts.withInstallations) return 'has_installations';
      for (const inst of installations) await deleteInstallationIn(c, inst.id, now);
      let del = c.db.deleteFrom('organizations').where('id', '=', id);
      // SQLite takes its write lock at the first write, not at the read above: checked again where it deletes
      // (a throw rolls the installations' deletion back with it).
      if (opts.ifVersion !== undefined) del = del.where('version', '=', opts.ifVersion);
      const res = await del.executeTakeFirst();
      if (opts.ifVersion !== undefined && Number(res.numDeletedRows) === 0) throw new VersionConflictError(`organization ${id}`);
      await c.change('org', id, now);
      return 'deleted';
    });
  }
}

/**
 * Deletes one installation inside the caller's transaction: its families revoked and announced, then the row.
 * With `ifVersion` and another version, VersionConflictError (the caller's transaction rolls the revocation back).
 */
async function deleteInstallationIn(c: SqlContext, id: string, now: number, cond: IfVersion = {}): Promise<boolean> {
  await revokeFamiliesWhere(c, 'installation_id', id, now);
  let q = c.db.deleteFrom('installations').where('id', '=', id);
  if (cond.ifVersion !== undefined) q = q.where('version', '=', cond.ifVersion);
  const res = await q.executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) {
    if (cond.ifVersion !== undefined && (await installationExists(c, id))) throw new VersionConflictError(`installation ${id}`);
    return false;
  }
  await c.change('installation', id, now);
  return true;
}

async function installationExists(c: SqlContext, id: string): Promise<boolean> {
  return (await c.db.selectFrom('installations').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export class SqlInstallationStore implements InstallationStore {
  constructor(private readonly ctx: SqlContext) {}

  async get(id: string): Promise<Installation | undefined> {
    const row = await this.ctx.db.selectFrom('installations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? instFromRow(row) : undefined;
  }

  async find(orgId: string, clientId: string): Promise<Installation | undefined> {
    const row = await this.ctx.db.selectFrom('installations').selectAll().where('org_id', '=', orgId).where('client_id', '=', clientId).executeTakeFirst();
    return row ? instFromRow(row) : undefined;
  }

  async list(opts: { orgId?: string; clientId?: string } = {}): Promise<Installation[]> {
    let q = this.ctx.db.selectFrom('installations').selectAll().orderBy('created_at').orderBy('id');
    if (opts.orgId !== undefined) q = q.where('org_id', '=', opts.orgId);
    if (opts.clientId !== undefined) q = q.where('client_id', '=', opts.clientId);
    return (await q.execute()).map(instFromRow);
  }

  async create(inst: Omit<Installation, 'createdAt' | 'version'>): Promise<Installation> {
    const now = nowSeconds();
    const row: InstallationRow = {
      id: inst.id,
      org_id: inst.orgId,
      client_id: inst.clientId,
      scope: inst.scope.join(' '),
      status: inst.status,
      created_at: now,
      approved_at: inst.approvedAt,
      revoked_at: inst.revokedAt,
      metadata: toJson(inst.metadata),
      version: 1,
    };
    try {
      await this.ctx.tx(async (c) => {
        await c.db.insertInto('installations').values(row).execute();
        await c.change('installation', inst.id, now);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`installation of ${inst.clientId} in ${inst.orgId}`);
      throw err;
    }
    return instFromRow(row);
  }

  async update(id: string, patch: Partial<Pick<Installation, 'scope' | 'status' | 'approvedAt' | 'revokedAt' | 'metadata'>>, cond: IfVersion = {}): Promise<Installation | undefined> {
    const now = nowSeconds();
    const set: Partial<InstallationRow> = {};
    if (patch.scope !== undefined) set.scope = patch.scope.join(' ');
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.approvedAt !== undefined) set.approved_at = patch.approvedAt;
    if (patch.revokedAt !== undefined) set.revoked_at = patch.revokedAt;
    if (patch.metadata !== undefined) set.metadata = toJson(patch.metadata);
    return this.ctx.tx(async (c) => {
      let q = c.db.updateTable('installations').set((eb) => ({ ...set, version: eb('version', '+', 1) })).where('id', '=', id);
      if (cond.ifVersion !== undefined) q = q.where('version', '=', cond.ifVersion);
      const res = await q.executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) {
        // Nothing matched: the installation is gone (undefined), or a compare-and-set found another version.
        if (cond.ifVersion !== undefined && (await installationExists(c, id))) throw new VersionConflictError(`installation ${id}`);
        return undefined;
      }
      if (patch.status === 'revoked') {
        // Revoking an installation ends its refresh-token families in the same transaction (and announces them).
        await revokeFamiliesWhere(c, 'installation_id', id, now);
      }
      await c.change('installation', id, now);
      return instFromRow(await c.db.selectFrom('installations').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
    });
  }

  async delete(id: string, cond: IfVersion = {}): Promise<boolean> {
    const now = nowSeconds();
    return this.ctx.tx((c) => deleteInstallationIn(c, id, now, cond));
  }
}
