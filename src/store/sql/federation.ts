import type { IdentityProvider, IdentityProviderStore, IfVersion, NewIdentityProvider, UserLink, UserLinkStore } from '../types.js';
import { ConflictError, isUniqueViolation, VersionConflictError } from '../errors.js';
import type { IdentityProviderRow } from './schema.js';
import { num, nowSeconds, type SqlContext } from './context.js';

function idpFromRow(r: IdentityProviderRow): IdentityProvider {
  return {
    name: r.name,
    type: r.type as IdentityProvider['type'],
    config: JSON.parse(r.config) as Record<string, unknown>,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    version: num(r.version),
  };
}

/** Nothing matched: the provider is gone (undefined), or a compare-and-set found another version (thrown). */
async function missingOrChanged(c: SqlContext, name: string, cond: IfVersion): Promise<undefined> {
  if (cond.ifVersion !== undefined && (await c.db.selectFrom('identity_providers').select('name').where('name', '=', name).executeTakeFirst())) throw new VersionConflictError(`identity provider ${name}`);
  return undefined;
}

export class SqlIdentityProviderStore implements IdentityProviderStore {
  constructor(private readonly ctx: SqlContext) {}

  async get(name: string): Promise<IdentityProvider | undefined> {
    const row = await this.ctx.db.selectFrom('identity_providers').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? idpFromRow(row) : undefined;
  }

  async list(): Promise<IdentityProvider[]> {
    return (await this.ctx.db.selectFrom('identity_providers').selectAll().orderBy('name').execute()).map(idpFromRow);
  }

  async create(idp: NewIdentityProvider): Promise<IdentityProvider> {
    const now = nowSeconds();
    const row = { name: idp.name, type: idp.type, config: JSON.stringify(idp.config), created_at: now, updated_at: now, version: 1 };
    try {
      await this.ctx.tx(async (c) => {
        await c.db.insertInto('identity_providers').values(row).execute();
        await c.change('idp', idp.name, now);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`identity provider ${idp.name}`);
      throw err;
    }
    return idpFromRow(row);
  }

  async upsert(idp: NewIdentityProvider): Promise<IdentityProvider> {
    const now = nowSeconds();
    return this.ctx.tx(async (c) => {
      await c.db
        .insertInto('identity_providers')
        .values({ name: idp.name, type: idp.type, config: JSON.stringify(idp.config), created_at: now, updated_at: now, version: 1 })
        .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ type: idp.type, config: JSON.stringify(idp.config), updated_at: now, version: eb('identity_providers.version', '+', 1) })))
        .execute();
      await c.change('idp', idp.name, now);
      return idpFromRow(await c.db.selectFrom('identity_providers').selectAll().where('name', '=', idp.name).executeTakeFirstOrThrow());
    });
  }

  async update(idp: NewIdentityProvider, cond: IfVersion = {}): Promise<IdentityProvider | undefined> {
    const now = nowSeconds();
    return this.ctx.tx(async (c) => {
      let q = c.db
        .updateTable('identity_providers')
        .set((eb) => ({ type: idp.type, config: JSON.stringify(idp.config), updated_at: now, version: eb('version', '+', 1) }))
        .where('name', '=', idp.name);
      if (cond.ifVersion !== undefined) q = q.where('version', '=', cond.ifVersion);
      const res = await q.executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return missingOrChanged(c, idp.name, cond);
      await c.change('idp', idp.name, now);
      return idpFromRow(await c.db.selectFrom('identity_providers').selectAll().where('name', '=', idp.name).executeTakeFirstOrThrow());
    });
  }

  async delete(name: string, cond: IfVersion = {}): Promise<boolean> {
    const now = nowSeconds();
    return this.ctx.tx(async (c) => {
      let q = c.db.deleteFrom('identity_providers').where('name', '=', name);
      if (cond.ifVersion !== undefined) q = q.where('version', '=', cond.ifVersion);
      const res = await q.executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return (await missingOrChanged(c, name, cond)) ?? false;
      await c.change('idp', name, now);
      return true;
    });
  }
}

export class SqlUserLinkStore implements UserLinkStore {
  constructor(private readonly ctx: SqlContext) {}

  async get(provider: string, subject: string): Promise<UserLink | undefined> {
    const r = await this.ctx.db.selectFrom('user_links').selectAll().where('provider', '=', provider).where('subject', '=', subject).executeTakeFirst();
    return r ? { provider: r.provider, subject: r.subject, userId: r.user_id, createdAt: num(r.created_at) } : undefined;
  }

  async create(link: Omit<UserLink, 'createdAt'>): Promise<UserLink> {
    const now = nowSeconds();
    try {
      await this.ctx.db.insertInto('user_links').values({ provider: link.provider, subject: link.subject, user_id: link.userId, created_at: now }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`link ${link.provider}`);
      throw err;
    }
    return { ...link, createdAt: now };
  }

  async listForUser(userId: string): Promise<UserLink[]> {
    const rows = await this.ctx.db.selectFrom('user_links').selectAll().where('user_id', '=', userId).orderBy('provider').execute();
    return rows.map((r) => ({ provider: r.provider, subject: r.subject, userId: r.user_id, createdAt: num(r.created_at) }));
  }
}
