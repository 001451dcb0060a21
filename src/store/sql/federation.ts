import type { IdentityProvider, IdentityProviderStore, UserLink, UserLinkStore } from '../types.js';
import { ConflictError, isUniqueViolation } from '../errors.js';
import type { IdentityProviderRow } from './schema.js';
import { num, nowSeconds, type SqlContext } from './context.js';

function idpFromRow(r: IdentityProviderRow): IdentityProvider {
  return {
    name: r.name,
    type: r.type as IdentityProvider['type'],
    config: JSON.parse(r.config) as Record<string, unknown>,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
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

  async upsert(idp: Omit<IdentityProvider, 'createdAt' | 'updatedAt'>): Promise<IdentityProvider> {
    const now = nowSeconds();
    return this.ctx.tx(async (c) => {
      await c.db
        .insertInto('identity_providers')
        .values({ name: idp.name, type: idp.type, config: JSON.stringify(idp.config), created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('name').doUpdateSet({ type: idp.type, config: JSON.stringify(idp.config), updated_at: now }))
        .execute();
      await c.change('idp', idp.name, now);
      return idpFromRow(await c.db.selectFrom('identity_providers').selectAll().where('name', '=', idp.name).executeTakeFirstOrThrow());
    });
  }

  async delete(name: string): Promise<boolean> {
    const now = nowSeconds();
    return this.ctx.tx(async (c) => {
      const res = await c.db.deleteFrom('identity_providers').where('name', '=', name).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return false;
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
