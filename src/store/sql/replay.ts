import type { ReplayStore } from '../types.js';
import type { SqlContext } from './context.js';
import { prepared } from './prepared.js';

/**
 * First use of a key, in one statement compiled once (sql/prepared.ts): insert it, or take over an entry that
 * has expired (it no longer protects anything); a live entry is left alone and nothing is affected. Atomic on
 * both engines (PostgreSQL's ON CONFLICT ... DO UPDATE ... WHERE takes the row lock; SQLite serialises writers),
 * with no transaction: DPoP proofs spend one of these per token request (oauth/dpop/service.ts).
 */
const firstUse = prepared<[key: string, expiresAt: number, now: number], never>(3, (c, key, expiresAt, now) =>
  c.db
    .insertInto('replay')
    .values({ key, expires_at: expiresAt })
    .onConflict((oc) => oc.column('key').doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') }).where('replay.expires_at', '<', now)),
);

export class SqlReplayStore implements ReplayStore {
  constructor(private readonly ctx: SqlContext) {}

  async remember(key: string, expiresAt: number): Promise<boolean> {
    const res = await firstUse(this.ctx, key, expiresAt, Math.floor(Date.now() / 1000));
    return Number(res.numAffectedRows ?? 0n) === 1;
  }

  async deleteExpired(now: number): Promise<number> {
    const res = await this.ctx.db.deleteFrom('replay').where('expires_at', '<', now).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
