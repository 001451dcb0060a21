import type { Confirmation, RefreshFamily, RefreshTokenRecord, RefreshTokenStore, RotateOutcome } from '../types.js';
import { fromJson, num, toJson, type SqlContext } from './context.js';
import { prepared } from './prepared.js';
import { familyColumns, familyFromRow, findJoined, insertToken, tokenColumns, tokenFromRow, tokenRow, type NewToken } from './refresh-rows.js';
import { isLive } from './rotation/liveness.js';
import { casIfLive } from './rotation/kysely.js';
import type { LiveRotation } from './rotation/index.js';

const insertFamily = prepared<
  [familyId: string, clientId: string, subject: string, userId: string | null, orgId: string | null, installationId: string | null, scope: string, claims: string | null, audience: string | null, createdAt: number, expiresAt: number, confirmation: string | null],
  never
>(12, (c, familyId, clientId, subject, userId, orgId, installationId, scope, claims, audience, createdAt, expiresAt, confirmation) =>
  c.db.insertInto('refresh_families').values({
    family_id: familyId,
    client_id: clientId,
    subject,
    user_id: userId,
    org_id: orgId,
    installation_id: installationId,
    scope,
    claims,
    audience,
    status: 'active',
    created_at: createdAt,
    expires_at: expiresAt,
    revoked_at: null,
    confirmation,
  }),
);

export class SqlRefreshTokenStore implements RefreshTokenStore {
  constructor(
    private readonly ctx: SqlContext,
    /** The live case, in the engine's fewest statements (rotation/), chosen when the store opened. */
    private readonly rotateLive: LiveRotation,
  ) {}

  async createFamily(family: Omit<RefreshFamily, 'status' | 'revokedAt'>, first: NewToken): Promise<void> {
    await this.ctx.tx(async (c) => {
      await insertFamily(c, family.familyId, family.clientId, family.subject, family.userId, family.orgId, family.installationId, family.scope.join(' '), toJson(family.claims), toJson(family.audience ?? null), family.createdAt, family.expiresAt, toJson(family.confirmation ?? null));
      await insertToken(c, first.hash, family.familyId, first.scope.join(' '), first.createdAt, first.expiresAt);
    });
  }

  async find(hash: string): Promise<RefreshTokenRecord | undefined> {
    return this.findIn(this.ctx, hash);
  }

  /** The token and its family in one query (one round trip on PostgreSQL). */
  private async findIn(c: SqlContext, hash: string): Promise<(RefreshTokenRecord & { successor: string | null }) | undefined> {
    const r = (await findJoined(c, hash)).rows[0];
    if (!r) return undefined;
    return { token: tokenFromRow(tokenColumns(r)), family: familyFromRow(familyColumns(r)), successor: r.successor };
  }

  /** The live case first, in the engine's own statements; when its compare-and-set did not win, the judgement. */
  async rotate(hash: string, successor: NewToken, now: number, reuseInterval: number): Promise<RotateOutcome> {
    return (await this.rotateLive(hash, successor, now)) ?? this.rotateOrJudge(hash, successor, now, reuseInterval);
  }

  /**
   * Everything but the live case, the same on every engine: a retry inside the reuse interval, reuse (revokes the
   * family), or invalid. Rare, so it takes the general Kysely path.
   */
  private async rotateOrJudge(hash: string, successor: NewToken, now: number, reuseInterval: number): Promise<RotateOutcome> {
    return this.ctx.tx(async (c): Promise<RotateOutcome> => {
      // PostgreSQL: take the presented token's row lock first, so concurrent rotations of one token run one after
      // the other and each sees the previous one's committed successor. Without it, two retries inside the reuse
      // interval both read the same successor, the second finds it already revoked and mistakes the retry for
      // reuse, revoking the family. SQLite serialises writers already (and has no FOR UPDATE).
      if (c.dialect === 'postgres') await c.db.selectFrom('refresh_tokens').select('hash').where('hash', '=', hash).forUpdate().execute();
      // The compare-and-set again, the live rotation's own (rotation/kysely.ts): only one concurrent caller can
      // move this row from active to rotated (PostgreSQL re-checks the WHERE clause after waiting on the row
      // lock; SQLite serialises writers), and only while the token and its family are live.
      const won = (await casIfLive(c, hash, now, successor.hash)).rows[0];
      const record = await this.findIn(c, hash);
      if (!record) return { kind: 'invalid' };
      const { family, token } = record;
      if (won) {
        await c.db.insertInto('refresh_tokens').values(tokenRow(family.familyId, successor)).execute();
        return { kind: 'rotated', family, previous: token };
      }
      if (!isLive(family, now) || token.status === 'revoked') return { kind: 'invalid' };
      if (token.status === 'active') return { kind: 'invalid' }; // expired by idle timeout
      // token.status === 'rotated': a retry inside the reuse interval, or reuse.
      if (reuseInterval > 0 && token.rotatedAt !== null && now - token.rotatedAt <= reuseInterval && record.successor !== null) {
        const replaced = await c.db
          .updateTable('refresh_tokens')
          .set({ status: 'revoked' })
          .where('hash', '=', record.successor)
          .where('status', '=', 'active')
          .executeTakeFirst();
        if (Number(replaced.numUpdatedRows) === 1) {
          // rotated_at stays at the first rotation: the tolerance window is fixed, so retries cannot keep a
          // rotated token alive forever by presenting it again just inside each new window.
          await c.db.updateTable('refresh_tokens').set({ successor: successor.hash }).where('hash', '=', hash).execute();
          await c.db.insertInto('refresh_tokens').values(tokenRow(family.familyId, successor)).execute();
          return { kind: 'retried', family, previous: token };
        }
      }
      // RFC 9700 §4.14.2: a rotated token presented again means it leaked; revoke the whole family.
      await c.db.updateTable('refresh_families').set({ status: 'revoked', revoked_at: now }).where('family_id', '=', family.familyId).execute();
      await c.db.updateTable('refresh_tokens').set({ status: 'revoked' }).where('family_id', '=', family.familyId).where('status', '=', 'active').execute();
      // Every node's revoked-family set learns of it from this row (its JWT access tokens die at introspection).
      await c.change('family', family.familyId, now);
      return { kind: 'reused' };
    });
  }

  async revokeFamily(familyId: string, now: number): Promise<boolean> {
    return this.ctx.tx(async (c) => {
      const res = await c.db
        .updateTable('refresh_families')
        .set({ status: 'revoked', revoked_at: now })
        .where('family_id', '=', familyId)
        .where('status', '=', 'active')
        .executeTakeFirst();
      await c.db.updateTable('refresh_tokens').set({ status: 'revoked' }).where('family_id', '=', familyId).where('status', '=', 'active').execute();
      const revoked = Number(res.numUpdatedRows) > 0;
      if (revoked) await c.change('family', familyId, now);
      return revoked;
    });
  }

  async bindFamily(familyId: string, confirmation: Confirmation): Promise<Confirmation | null> {
    return this.ctx.tx(async (c) => {
      // The compare-and-set: PostgreSQL re-checks `confirmation IS NULL` after waiting on a concurrent binder's row lock.
      await c.db.updateTable('refresh_families').set({ confirmation: toJson(confirmation) }).where('family_id', '=', familyId).where('confirmation', 'is', null).execute();
      const row = await c.db.selectFrom('refresh_families').select('confirmation').where('family_id', '=', familyId).executeTakeFirst();
      return row ? fromJson<Confirmation>(row.confirmation) : null;
    });
  }

  async getFamily(familyId: string): Promise<RefreshFamily | undefined> {
    const row = await this.ctx.db.selectFrom('refresh_families').selectAll().where('family_id', '=', familyId).executeTakeFirst();
    return row ? familyFromRow(row) : undefined;
  }

  listFamiliesByUser(userId: string, opts: { limit?: number; after?: string } = {}): Promise<Array<RefreshFamily & { lastUsedAt: number | null }>> {
    // Served by the index refresh_families_user.
    return this.listFamiliesWhere('user_id', userId, opts);
  }

  listFamiliesByClient(clientId: string, opts: { limit?: number; after?: string } = {}): Promise<Array<RefreshFamily & { lastUsedAt: number | null }>> {
    // Served by the index refresh_families_client.
    return this.listFamiliesWhere('client_id', clientId, opts);
  }

  private async listFamiliesWhere(column: 'client_id' | 'user_id', value: string, opts: { limit?: number; after?: string }): Promise<Array<RefreshFamily & { lastUsedAt: number | null }>> {
    // The newest token of a family by refresh_tokens' family index.
    let q = this.ctx.db
      .selectFrom('refresh_families')
      .selectAll('refresh_families')
      .select((eb) => eb.selectFrom('refresh_tokens').select((t) => t.fn.max('refresh_tokens.created_at').as('m')).whereRef('refresh_tokens.family_id', '=', 'refresh_families.family_id').as('last_used_at'))
      .where(column, '=', value)
      .orderBy('family_id')
      .limit(opts.limit ?? 1000);
    if (opts.after !== undefined) q = q.where('family_id', '>', opts.after);
    return (await q.execute()).map((r) => ({ ...familyFromRow(r), lastUsedAt: r.last_used_at === null || r.last_used_at === undefined ? null : num(r.last_used_at) }));
  }

  revokeByUser(userId: string, now: number): Promise<number> {
    return this.ctx.tx((c) => revokeFamiliesWhere(c, 'user_id', userId, now));
  }

  revokeByClient(clientId: string, now: number): Promise<number> {
    return this.ctx.tx((c) => revokeFamiliesWhere(c, 'client_id', clientId, now));
  }

  async listRevokedFamilies(since: number): Promise<Array<{ familyId: string; revokedAt: number }>> {
    // Served by the partial index refresh_families_revoked (migration 0004): only revoked rows are in it.
    const rows = await this.ctx.db.selectFrom('refresh_families').select(['family_id', 'revoked_at']).where('revoked_at', '>', since).execute();
    return rows.map((r) => ({ familyId: r.family_id, revokedAt: num(r.revoked_at!) }));
  }

  async deleteExpired(now: number): Promise<number> {
    // Revoked families are kept until their absolute end so reuse of their tokens is still recognised.
    const res = await this.ctx.db.deleteFrom('refresh_families').where('expires_at', '<', now).executeTakeFirst();
    await this.ctx.db.deleteFrom('refresh_tokens').where('expires_at', '<', now).where('status', '!=', 'active').execute();
    return Number(res.numDeletedRows);
  }
}

/**
 * Revokes every active family whose `column` is `value` and writes one 'family' change per family it revoked,
 * inside the caller's transaction: the UPDATE's RETURNING names exactly the rows it changed, so a family created
 * concurrently is either revoked and announced, or neither. Used by revokeByUser, by an installation's
 * revocation (sql/organizations.ts) and by a client's deletion (sql/clients.ts). Returns how many families were
 * revoked.
 */
export async function revokeFamiliesWhere(c: SqlContext, column: 'client_id' | 'installation_id' | 'user_id', value: string, now: number): Promise<number> {
  const revoked = await c.db
    .updateTable('refresh_families')
    .set({ status: 'revoked', revoked_at: now })
    .where(column, '=', value)
    .where('status', '=', 'active')
    .returning('family_id')
    .execute();
  await c.changeMany('family', revoked.map((r) => r.family_id), now);
  return revoked.length;
}
