import type { RefreshFamily, RefreshToken, RefreshTokenRecord, RefreshTokenStore, RotateOutcome } from '../types.js';
import type { RefreshFamilyRow, RefreshTokenRow } from './schema.js';
import { fromJson, num, numOrNull, splitScope, toJson, type SqlContext } from './context.js';

function familyFromRow(r: RefreshFamilyRow): RefreshFamily {
  return {
    familyId: r.family_id,
    clientId: r.client_id,
    subject: r.subject,
    userId: r.user_id,
    orgId: r.org_id,
    installationId: r.installation_id,
    scope: splitScope(r.scope),
    claims: fromJson<Record<string, unknown>>(r.claims),
    status: r.status as RefreshFamily['status'],
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    revokedAt: numOrNull(r.revoked_at),
  };
}

function tokenFromRow(r: RefreshTokenRow): RefreshToken {
  return {
    hash: r.hash,
    familyId: r.family_id,
    status: r.status as RefreshToken['status'],
    scope: splitScope(r.scope),
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    rotatedAt: numOrNull(r.rotated_at),
  };
}

type NewToken = Omit<RefreshToken, 'familyId' | 'status' | 'rotatedAt'>;

function tokenRow(familyId: string, t: NewToken): RefreshTokenRow {
  return {
    hash: t.hash,
    family_id: familyId,
    status: 'active',
    scope: t.scope.join(' '),
    created_at: t.createdAt,
    expires_at: t.expiresAt,
    rotated_at: null,
    successor: null,
  };
}

export class SqlRefreshTokenStore implements RefreshTokenStore {
  constructor(private readonly ctx: SqlContext) {}

  async createFamily(family: Omit<RefreshFamily, 'status' | 'revokedAt'>, first: NewToken): Promise<void> {
    await this.ctx.tx(async (c) => {
      await c.db
        .insertInto('refresh_families')
        .values({
          family_id: family.familyId,
          client_id: family.clientId,
          subject: family.subject,
          user_id: family.userId,
          org_id: family.orgId,
          installation_id: family.installationId,
          scope: family.scope.join(' '),
          claims: toJson(family.claims),
          status: 'active',
          created_at: family.createdAt,
          expires_at: family.expiresAt,
          revoked_at: null,
        })
        .execute();
      await c.db.insertInto('refresh_tokens').values(tokenRow(family.familyId, first)).execute();
    });
  }

  async find(hash: string): Promise<RefreshTokenRecord | undefined> {
    return this.findIn(this.ctx, hash);
  }

  private async findIn(c: SqlContext, hash: string): Promise<(RefreshTokenRecord & { successor: string | null }) | undefined> {
    const t = await c.db.selectFrom('refresh_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
    if (!t) return undefined;
    const f = await c.db.selectFrom('refresh_families').selectAll().where('family_id', '=', t.family_id).executeTakeFirst();
    if (!f) return undefined;
    return { token: tokenFromRow(t), family: familyFromRow(f), successor: t.successor };
  }

  async rotate(hash: string, successor: NewToken, now: number, reuseInterval: number): Promise<RotateOutcome> {
    return this.ctx.tx(async (c): Promise<RotateOutcome> => {
      // PostgreSQL: take the presented token's row lock first, so concurrent rotations of one token run one after
      // the other and each sees the previous one's committed successor. Without it, two retries inside the reuse
      // interval both read the same successor, the second finds it already revoked and mistakes the retry for
      // reuse, revoking the family. SQLite serialises writers already (and has no FOR UPDATE).
      if (c.dialect === 'postgres') await c.db.selectFrom('refresh_tokens').select('hash').where('hash', '=', hash).forUpdate().execute();
      // The compare-and-set: only one concurrent caller can move this row from active to rotated
      // (PostgreSQL re-checks the WHERE clause after waiting on the row lock; SQLite serialises writers).
      const won = await c.db
        .updateTable('refresh_tokens')
        .set({ status: 'rotated', rotated_at: now, successor: successor.hash })
        .where('hash', '=', hash)
        .where('status', '=', 'active')
        .where('expires_at', '>', now)
        .returning(['family_id'])
        .executeTakeFirst();
      const record = await this.findIn(c, hash);
      if (!record) return { kind: 'invalid' };
      const { family, token } = record;
      const familyLive = family.status === 'active' && family.expiresAt > now;
      if (won) {
        if (!familyLive) throw new FamilyGoneError();
        await c.db.insertInto('refresh_tokens').values(tokenRow(family.familyId, successor)).execute();
        return { kind: 'rotated', family, previous: token };
      }
      if (!familyLive || token.status === 'revoked') return { kind: 'invalid' };
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
      return { kind: 'reused' };
    }).catch((err: unknown): RotateOutcome => {
      if (err instanceof FamilyGoneError) return { kind: 'invalid' };
      throw err;
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
      return Number(res.numUpdatedRows) > 0;
    });
  }

  private async revokeWhere(column: 'installation_id' | 'user_id' | 'client_id', value: string, now: number): Promise<number> {
    const res = await this.ctx.db
      .updateTable('refresh_families')
      .set({ status: 'revoked', revoked_at: now })
      .where(column, '=', value)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  revokeByInstallation(installationId: string, now: number): Promise<number> {
    return this.revokeWhere('installation_id', installationId, now);
  }

  revokeByUser(userId: string, now: number): Promise<number> {
    return this.revokeWhere('user_id', userId, now);
  }

  revokeByClient(clientId: string, now: number): Promise<number> {
    return this.revokeWhere('client_id', clientId, now);
  }

  async deleteExpired(now: number): Promise<number> {
    // Revoked families are kept until their absolute end so reuse of their tokens is still recognised.
    const res = await this.ctx.db.deleteFrom('refresh_families').where('expires_at', '<', now).executeTakeFirst();
    await this.ctx.db.deleteFrom('refresh_tokens').where('expires_at', '<', now).where('status', '!=', 'active').execute();
    return Number(res.numDeletedRows);
  }
}

/** Thrown inside the rotation transaction to roll back a CAS that won on a dead family. */
class FamilyGoneError extends Error {}
