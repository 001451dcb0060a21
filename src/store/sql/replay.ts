import type { ReplayStore } from '../types.js';
import type { SqlContext } from './context.js';

export class SqlReplayStore implements ReplayStore {
  constructor(private readonly ctx: SqlContext) {}

  async remember(key: string, expiresAt: number): Promise<boolean> {
    const now = Math.floor(Date.now() / 1000);
    return this.ctx.tx(async (c) => {
      // An expired entry no longer protects anything; drop it so the insert can decide.
      await c.db.deleteFrom('replay').where('key', '=', key).where('expires_at', '<', now).execute();
      const res = await c.db.insertInto('replay').values({ key, expires_at: expiresAt }).onConflict((oc) => oc.column('key').doNothing()).executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
    });
  }

  async deleteExpired(now: number): Promise<number> {
    const res = await this.ctx.db.deleteFrom('replay').where('expires_at', '<', now).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
