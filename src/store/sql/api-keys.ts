import type { ApiKey, ApiKeyStore } from '../types.js';
import { ConflictError, isUniqueViolation } from '../errors.js';
import { num, nowSeconds, type SqlContext } from './context.js';

export class SqlApiKeyStore implements ApiKeyStore {
  constructor(private readonly ctx: SqlContext) {}

  async get(publicKey: string): Promise<ApiKey | undefined> {
    const r = await this.ctx.db.selectFrom('api_keys').selectAll().where('public_key', '=', publicKey.toLowerCase()).executeTakeFirst();
    return r ? { publicKey: r.public_key, clientId: r.client_id, kind: r.kind as ApiKey['kind'], createdAt: num(r.created_at) } : undefined;
  }

  async listForClient(clientId: string): Promise<ApiKey[]> {
    const rows = await this.ctx.db.selectFrom('api_keys').selectAll().where('client_id', '=', clientId).orderBy('created_at').execute();
    return rows.map((r) => ({ publicKey: r.public_key, clientId: r.client_id, kind: r.kind as ApiKey['kind'], createdAt: num(r.created_at) }));
  }

  async add(key: Omit<ApiKey, 'createdAt'>): Promise<ApiKey> {
    const now = nowSeconds();
    const publicKey = key.publicKey.toLowerCase();
    try {
      await this.ctx.tx(async (c) => {
        await c.db.insertInto('api_keys').values({ public_key: publicKey, client_id: key.clientId, kind: key.kind, created_at: now }).execute();
        await c.change('api_key', publicKey, now);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('API key');
      throw err;
    }
    return { ...key, publicKey, createdAt: now };
  }

  async remove(publicKey: string): Promise<boolean> {
    const now = nowSeconds();
    const pk = publicKey.toLowerCase();
    return this.ctx.tx(async (c) => {
      const res = await c.db.deleteFrom('api_keys').where('public_key', '=', pk).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return false;
      await c.change('api_key', pk, now);
      return true;
    });
  }
}
