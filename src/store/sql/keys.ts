import { sql } from 'kysely';
import type { KeyStore, SigningKey } from '../types.js';
import type { SigningKeyRow } from './schema.js';
import { num, numOrNull, nowSeconds, type SqlContext } from './context.js';

function fromRow(r: SigningKeyRow): SigningKey {
  return {
    kid: r.kid,
    alg: r.alg as SigningKey['alg'],
    status: r.status as SigningKey['status'],
    publicJwk: JSON.parse(r.public_jwk) as Record<string, unknown>,
    privateKeyEncrypted: r.private_key_encrypted,
    createdAt: num(r.created_at),
    retiredAt: numOrNull(r.retired_at),
    publishUntil: numOrNull(r.publish_until),
  };
}

function toRow(k: SigningKey): SigningKeyRow {
  return {
    kid: k.kid,
    alg: k.alg,
    status: k.status,
    public_jwk: JSON.stringify(k.publicJwk),
    private_key_encrypted: k.privateKeyEncrypted,
    created_at: k.createdAt,
    retired_at: k.retiredAt,
    publish_until: k.publishUntil,
  };
}

/** Advisory lock id for first-key creation: an arbitrary constant ("tesk" in ASCII). */
const FIRST_KEY_LOCK = 0x7465736b;

export class SqlKeyStore implements KeyStore {
  constructor(private readonly ctx: SqlContext) {}

  async list(): Promise<SigningKey[]> {
    // Active keys first: two keys created in the same second must not swap places (created_at is in seconds).
    const rows = await this.ctx.db.selectFrom('signing_keys').selectAll().orderBy('status').orderBy('created_at', 'desc').orderBy('kid').execute();
    return rows.map(fromRow);
  }

  async insert(key: Omit<SigningKey, 'createdAt'> & { createdAt?: number }): Promise<SigningKey> {
    const full: SigningKey = { ...key, createdAt: key.createdAt ?? nowSeconds() };
    await this.ctx.tx(async (c) => {
      await c.db.insertInto('signing_keys').values(toRow(full)).execute();
      await c.change('key', full.kid, full.createdAt);
    });
    return full;
  }

  async rotate(newKey: Omit<SigningKey, 'createdAt' | 'status' | 'retiredAt' | 'publishUntil'>, publishUntil: number): Promise<SigningKey> {
    const now = nowSeconds();
    const full: SigningKey = { ...newKey, status: 'active', createdAt: now, retiredAt: null, publishUntil: null };
    await this.ctx.tx(async (c) => {
      await c.db
        .updateTable('signing_keys')
        .set({ status: 'retired', retired_at: now, publish_until: publishUntil })
        .where('status', '=', 'active')
        .execute();
      await c.db.insertInto('signing_keys').values(toRow(full)).execute();
      await c.change('key', full.kid, now);
    });
    return full;
  }

  async insertFirstActive(newKey: Omit<SigningKey, 'createdAt' | 'status' | 'retiredAt' | 'publishUntil'>): Promise<boolean> {
    const full: SigningKey = { ...newKey, status: 'active', createdAt: nowSeconds(), retiredAt: null, publishUntil: null };
    return this.ctx.tx(async (c) => {
      // PostgreSQL: serialise first-key creation across processes for this transaction (READ COMMITTED alone would
      // let two starts both see "no key"). SQLite: one writer at a time already.
      if (c.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${FIRST_KEY_LOCK})`.execute(c.db);
      const active = await c.db.selectFrom('signing_keys').select('kid').where('status', '=', 'active').limit(1).executeTakeFirst();
      if (active) return false;
      await c.db.insertInto('signing_keys').values(toRow(full)).execute();
      await c.change('key', full.kid, full.createdAt);
      return true;
    });
  }

  async retire(kid: string, publishUntil: number): Promise<'retired' | 'missing' | 'already_retired' | 'only_active'> {
    const now = nowSeconds();
    return this.ctx.tx(async (c) => {
      // PostgreSQL: two retirements of different keys at once must not both see "another key is active" and leave
      // none; the same lock as first-key creation serialises them. SQLite: one writer at a time already.
      if (c.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${FIRST_KEY_LOCK})`.execute(c.db);
      const key = await c.db.selectFrom('signing_keys').select('status').where('kid', '=', kid).executeTakeFirst();
      if (!key) return 'missing';
      if (key.status !== 'active') return 'already_retired';
      const others = await c.db.selectFrom('signing_keys').select('kid').where('status', '=', 'active').where('kid', '!=', kid).limit(1).executeTakeFirst();
      if (!others) return 'only_active';
      const res = await c.db.updateTable('signing_keys').set({ status: 'retired', retired_at: now, publish_until: publishUntil }).where('kid', '=', kid).where('status', '=', 'active').executeTakeFirst();
      // A rotation committed meanwhile (it retires every active key) already retired it.
      if (Number(res.numUpdatedRows) === 0) return 'already_retired';
      await c.change('key', kid, now);
      return 'retired';
    });
  }

  async deleteExpired(now: number): Promise<number> {
    const res = await this.ctx.db
      .deleteFrom('signing_keys')
      .where('status', '=', 'retired')
      .where('publish_until', '<', now)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
