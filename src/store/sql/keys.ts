import { sql } from 'kysely';
import type { KeyActivation, KeyStore, NewSigningKey, SigningKey } from '../types.js';
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
    activatesAt: numOrNull(r.activates_at),
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
    activates_at: k.activatesAt,
  };
}

/** Advisory lock id for first-key creation: an arbitrary constant ("tesk" in ASCII). */
const FIRST_KEY_LOCK = 0x7465736b;
/** Advisory lock id for rotations, scheduled and manual: "tesr". */
const ROTATION_LOCK = 0x74657372;

/** When a key starts (or started) signing: its activation time, else its creation. */
const activationOf = (k: SigningKey): number => k.activatesAt ?? k.createdAt;

export class SqlKeyStore implements KeyStore {
  constructor(private readonly ctx: SqlContext) {}

  async list(): Promise<SigningKey[]> {
    // Active, pending, retired (alphabetical by status), newest first: two keys created in the same second must
    // not swap places (created_at is in seconds).
    const rows = await this.ctx.db.selectFrom('signing_keys').selectAll().orderBy('status').orderBy('created_at', 'desc').orderBy('kid').execute();
    return rows.map(fromRow);
  }

  async insert(key: Omit<SigningKey, 'createdAt' | 'activatesAt'> & { createdAt?: number; activatesAt?: number | null }): Promise<SigningKey> {
    const full: SigningKey = { ...key, createdAt: key.createdAt ?? nowSeconds(), activatesAt: key.activatesAt ?? null };
    await this.ctx.tx(async (c) => {
      await c.db.insertInto('signing_keys').values(toRow(full)).execute();
      await c.change('key', full.kid, full.createdAt);
    });
    return full;
  }

  async rotate(newKey: NewSigningKey, publishUntil: number): Promise<SigningKey> {
    const now = nowSeconds();
    const full: SigningKey = { ...newKey, status: 'active', createdAt: now, retiredAt: null, publishUntil: null, activatesAt: null };
    await this.ctx.tx(async (c) => {
      await this.lockRotations(c);
      await c.db
        .updateTable('signing_keys')
        .set({ status: 'retired', retired_at: now, publish_until: publishUntil })
        .where('status', 'in', ['active', 'pending'])
        .execute();
      await c.db.insertInto('signing_keys').values(toRow(full)).execute();
      await c.change('key', full.kid, now);
    });
    return full;
  }

  async insertFirstActive(newKey: NewSigningKey): Promise<boolean> {
    const full: SigningKey = { ...newKey, status: 'active', createdAt: nowSeconds(), retiredAt: null, publishUntil: null, activatesAt: null };
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

  async retire(kid: string, publishUntil: number, ifStatus?: SigningKey['status']): Promise<'retired' | 'missing' | 'already_retired' | 'only_active' | 'changed'> {
    const now = nowSeconds();
    return this.ctx.tx(async (c) => {
      // PostgreSQL: two retirements (or a retirement and a scheduled activation) at once must not both see
      // "another key is active" and leave none; the rotations' lock serialises them. SQLite: one writer at a time.
      await this.lockRotations(c);
      const key = await c.db.selectFrom('signing_keys').select('status').where('kid', '=', kid).executeTakeFirst();
      if (!key) return 'missing';
      // The caller's precondition (If-Match) first, as HTTP evaluates it before the request (RFC 9110 §13.2.2).
      if (ifStatus !== undefined && key.status !== ifStatus) return 'changed';
      if (key.status === 'retired') return 'already_retired';
      const others = await c.db.selectFrom('signing_keys').select('kid').where('status', '=', 'active').where('kid', '!=', kid).limit(1).executeTakeFirst();
      if (!others) return 'only_active';
      const res = await c.db.updateTable('signing_keys').set({ status: 'retired', retired_at: now, publish_until: publishUntil }).where('kid', '=', kid).where('status', 'in', ['active', 'pending']).executeTakeFirst();
      // A rotation committed meanwhile (it retires every active key) already retired it.
      if (Number(res.numUpdatedRows) === 0) return 'already_retired';
      await c.change('key', kid, now);
      return 'retired';
    });
  }

  async insertNextIfDue(newKey: NewSigningKey, at: { now: number; activatesAt: number; dueBefore: number }): Promise<SigningKey | undefined> {
    const full: SigningKey = { ...newKey, status: 'pending', createdAt: at.now, retiredAt: null, publishUntil: null, activatesAt: at.activatesAt };
    return this.ctx.tx(async (c) => {
      await this.lockRotations(c);
      const live = (await c.db.selectFrom('signing_keys').selectAll().where('status', 'in', ['active', 'pending']).execute()).map(fromRow);
      if (live.some((k) => k.status === 'pending')) return undefined;
      const newest = Math.max(...live.map(activationOf));
      // No active key at all is start-up's to fix (insertFirstActive), not the scheduler's.
      if (live.length === 0 || newest > at.dueBefore) return undefined;
      await c.db.insertInto('signing_keys').values(toRow(full)).execute();
      await c.change('key', full.kid, at.now);
      return full;
    });
  }

  async activateDue(now: number, publishFor: number): Promise<KeyActivation | undefined> {
    return this.ctx.tx(async (c) => {
      await this.lockRotations(c);
      const row = await c.db.selectFrom('signing_keys').selectAll().where('status', '=', 'pending').where('activates_at', '<=', now).executeTakeFirst();
      if (!row) return undefined;
      const pending = fromRow(row);
      const activatedAt = activationOf(pending);
      // Compare-and-set on the status: of two nodes activating the same key, one changes the row.
      const flipped = await c.db.updateTable('signing_keys').set({ status: 'active' }).where('kid', '=', pending.kid).where('status', '=', 'pending').executeTakeFirst();
      if (Number(flipped.numUpdatedRows) !== 1) return undefined;
      // The keys it replaces signed until its activation; their last tokens expire publishFor later.
      const older = (await c.db.selectFrom('signing_keys').selectAll().where('status', '=', 'active').where('kid', '!=', pending.kid).execute()).map(fromRow).filter((k) => activationOf(k) <= activatedAt);
      const publishUntil = activatedAt + publishFor;
      if (older.length > 0) {
        await c.db
          .updateTable('signing_keys')
          .set({ status: 'retired', retired_at: activatedAt, publish_until: publishUntil })
          .where('kid', 'in', older.map((k) => k.kid))
          .execute();
      }
      await c.change('key', pending.kid, now);
      return {
        activated: { ...pending, status: 'active' as const },
        retired: older.map((k) => ({ ...k, status: 'retired' as const, retiredAt: activatedAt, publishUntil })),
      };
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

  /**
   * PostgreSQL: rotations (the schedulers of every node, an operator's manual rotation) one at a time for this
   * transaction, so "no key pending and the current one is old enough" cannot hold for two of them at once under
   * READ COMMITTED. SQLite: one writer at a time already (a stale read fails its write with SQLITE_BUSY).
   */
  private async lockRotations(c: SqlContext): Promise<void> {
    if (c.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${ROTATION_LOCK})`.execute(c.db);
  }
}
