import type { RotateOutcome } from '../../types.js';
import type { RefreshTokenRow } from '../schema.js';
import type { SqlContext } from '../context.js';
import { prepared } from '../prepared.js';
import { familyById, familyFromRow, insertToken, tokenFromRow } from '../refresh-rows.js';
import { liveExpression } from './liveness.js';
import type { LiveRotation } from './types.js';

/** The dialect-neutral compare-and-set: the token and its family live. Also the judgement's (refresh-tokens.ts). */
export const casIfLive = prepared<[hash: string, now: number, successor: string], RefreshTokenRow>(3, (c, hash, now, successor) =>
  c.db
    .updateTable('refresh_tokens')
    .set({ status: 'rotated', rotated_at: now, successor })
    .where('hash', '=', hash)
    .where(liveExpression('refresh_tokens', now))
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('refresh_families')
          .select('family_id')
          .whereRef('refresh_families.family_id', '=', 'refresh_tokens.family_id')
          .where(liveExpression('refresh_families', now)),
      ),
    )
    .returningAll(),
);

/**
 * The same steps as Kysely queries, for either engine: used inside a caller's transaction (store.transaction),
 * where the one-statement and synchronous forms cannot join it.
 */
export function kyselyRotation(ctx: SqlContext): LiveRotation {
  return (hash, s, now) =>
    ctx.tx(async (c): Promise<RotateOutcome | undefined> => {
      const won = (await casIfLive(c, hash, now, s.hash)).rows[0];
      if (!won) return undefined;
      await insertToken(c, s.hash, won.family_id, s.scope.join(' '), s.createdAt, s.expiresAt);
      const f = (await familyById(c, won.family_id)).rows[0];
      if (!f) throw new Error(`refresh family ${won.family_id} vanished inside its rotation`);
      return { kind: 'rotated', family: familyFromRow(f), previous: tokenFromRow(won) };
    });
}
