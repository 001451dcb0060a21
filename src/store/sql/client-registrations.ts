import type { ClientRegistration, ClientRegistrationStore } from '../types.js';
import { ConflictError, isUniqueViolation } from '../errors.js';
import type { ClientRegistrationRow } from './schema.js';
import { num, nowSeconds, type SqlContext } from './context.js';

const fromRow = (r: ClientRegistrationRow): ClientRegistration => ({
  clientId: r.client_id,
  tokenHash: r.token_hash,
  registeredBy: r.registered_by,
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

/**
 * Registration records (RFC 7591/7592). Read only by the client configuration endpoint, never on the token path,
 * so no cache and no change-feed topic: the client itself is published through the clients table.
 */
export class SqlClientRegistrationStore implements ClientRegistrationStore {
  constructor(private readonly ctx: SqlContext) {}

  async get(clientId: string): Promise<ClientRegistration | undefined> {
    const r = await this.ctx.db.selectFrom('client_registrations').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async create(reg: Omit<ClientRegistration, 'createdAt' | 'updatedAt'>): Promise<ClientRegistration> {
    const now = nowSeconds();
    const row: ClientRegistrationRow = { client_id: reg.clientId, token_hash: reg.tokenHash, registered_by: reg.registeredBy, created_at: now, updated_at: now };
    try {
      await this.ctx.db.insertInto('client_registrations').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`registration of client ${reg.clientId}`);
      throw err;
    }
    return fromRow(row);
  }

  async setTokenHash(clientId: string, tokenHash: string): Promise<boolean> {
    const res = await this.ctx.db.updateTable('client_registrations').set({ token_hash: tokenHash, updated_at: nowSeconds() }).where('client_id', '=', clientId).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }
}
