import { CompiledQuery } from 'kysely';
import type { RefreshFamily, RefreshToken, RefreshTokenRecord, RefreshTokenStore, RotateOutcome } from '../types.js';
import type { RefreshFamilyRow, RefreshTokenRow } from './schema.js';
import { fromJson, num, numOrNull, splitScope, toJson, type SqlContext } from './context.js';
import { prepared } from './prepared.js';

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

/** A refresh token joined with its family, columns aliased where the two tables share a name. */
interface JoinedRow {
  hash: string;
  family_id: string;
  t_status: string;
  t_scope: string;
  t_created_at: number;
  t_expires_at: number;
  rotated_at: number | null;
  successor: string | null;
  client_id: string;
  subject: string;
  user_id: string | null;
  org_id: string | null;
  installation_id: string | null;
  f_scope: string;
  claims: string | null;
  f_status: string;
  f_created_at: number;
  f_expires_at: number;
  revoked_at: number | null;
}

function tokenColumns(r: JoinedRow): RefreshTokenRow {
  return { hash: r.hash, family_id: r.family_id, status: r.t_status, scope: r.t_scope, created_at: r.t_created_at, expires_at: r.t_expires_at, rotated_at: r.rotated_at, successor: r.successor };
}

function familyColumns(r: JoinedRow): RefreshFamilyRow {
  return {
    family_id: r.family_id, client_id: r.client_id, subject: r.subject, user_id: r.user_id, org_id: r.org_id, installation_id: r.installation_id,
    scope: r.f_scope, claims: r.claims, status: r.f_status, created_at: r.f_created_at, expires_at: r.f_expires_at, revoked_at: r.revoked_at,
  };
}

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

// The hot queries of the refresh grant, compiled once (sql/prepared.ts).
const findJoined = prepared<[hash: string], JoinedRow>(1, (c, hash) =>
  c.db
    .selectFrom('refresh_tokens as t')
    .innerJoin('refresh_families as f', 'f.family_id', 't.family_id')
    .select([
      't.hash', 't.family_id', 't.status as t_status', 't.scope as t_scope', 't.created_at as t_created_at', 't.expires_at as t_expires_at',
      't.rotated_at', 't.successor', 'f.client_id', 'f.subject', 'f.user_id', 'f.org_id', 'f.installation_id', 'f.scope as f_scope', 'f.claims',
      'f.status as f_status', 'f.created_at as f_created_at', 'f.expires_at as f_expires_at', 'f.revoked_at',
    ])
    .where('t.hash', '=', hash),
);

const familyById = prepared<[familyId: string], RefreshFamilyRow>(1, (c, familyId) => c.db.selectFrom('refresh_families').selectAll().where('family_id', '=', familyId));

const insertToken = prepared<[hash: string, familyId: string, scope: string, createdAt: number, expiresAt: number], never>(5, (c, hash, familyId, scope, createdAt, expiresAt) =>
  c.db.insertInto('refresh_tokens').values({ hash, family_id: familyId, status: 'active', scope, created_at: createdAt, expires_at: expiresAt, rotated_at: null, successor: null }),
);

const insertFamily = prepared<
  [familyId: string, clientId: string, subject: string, userId: string | null, orgId: string | null, installationId: string | null, scope: string, claims: string | null, createdAt: number, expiresAt: number],
  never
>(10, (c, familyId, clientId, subject, userId, orgId, installationId, scope, claims, createdAt, expiresAt) =>
  c.db.insertInto('refresh_families').values({
    family_id: familyId,
    client_id: clientId,
    subject,
    user_id: userId,
    org_id: orgId,
    installation_id: installationId,
    scope,
    claims,
    status: 'active',
    created_at: createdAt,
    expires_at: expiresAt,
    revoked_at: null,
  }),
);

/** The dialect-neutral compare-and-set, for a rotation inside a caller's transaction: the token active and unexpired and its family live. */
const casIfLive = prepared<[hash: string, now: number, successor: string], RefreshTokenRow>(3, (c, hash, now, successor) =>
  c.db
    .updateTable('refresh_tokens')
    .set({ status: 'rotated', rotated_at: now, successor })
    .where('hash', '=', hash)
    .where('status', '=', 'active')
    .where('expires_at', '>', now)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('refresh_families')
          .select('family_id')
          .whereRef('refresh_families.family_id', '=', 'refresh_tokens.family_id')
          .where('refresh_families.status', '=', 'active')
          .where('refresh_families.expires_at', '>', now),
      ),
    )
    .returningAll(),
);

/**
 * SQLite's compare-and-set: the token active and unexpired and its family live, in one UPDATE that also returns
 * the family row (as one JSON object from a subquery: RETURNING may not name a joined table, a subquery it may).
 * Parameters: hash, now, successor, now, now.
 */
const SQLITE_CAS_IF_LIVE = `
UPDATE refresh_tokens SET status = 'rotated', rotated_at = ?, successor = ?
WHERE hash = ? AND status = 'active' AND expires_at > ?
  AND EXISTS (SELECT 1 FROM refresh_families AS f WHERE f.family_id = refresh_tokens.family_id AND f.status = 'active' AND f.expires_at > ?)
RETURNING hash, family_id, status, scope, created_at, expires_at, rotated_at, successor,
  (SELECT json_object('family_id', f.family_id, 'client_id', f.client_id, 'subject', f.subject, 'user_id', f.user_id,
    'org_id', f.org_id, 'installation_id', f.installation_id, 'scope', f.scope, 'claims', f.claims, 'status', f.status,
    'created_at', f.created_at, 'expires_at', f.expires_at, 'revoked_at', f.revoked_at)
   FROM refresh_families AS f WHERE f.family_id = refresh_tokens.family_id) AS family`;

/** The successor's INSERT in the synchronous SQLite rotation. Parameters: hash, family id, scope, created, expires. */
const SQLITE_INSERT_TOKEN = `INSERT INTO refresh_tokens (hash, family_id, status, scope, created_at, expires_at, rotated_at, successor)
VALUES (?, ?, 'active', ?, ?, ?, NULL, NULL)`;

type CasRow = RefreshTokenRow & { family: string };

/** PostgreSQL's live rotation in ONE statement: $1 hash, $2 now, $3 successor hash, $4 scope, $5 created, $6 expires. */
const PG_ROTATE_LIVE = `
WITH won AS (
  UPDATE refresh_tokens AS t SET status = 'rotated', rotated_at = $2, successor = $3
  FROM refresh_families AS f
  WHERE t.hash = $1 AND t.status = 'active' AND t.expires_at > $2
    AND f.family_id = t.family_id AND f.status = 'active' AND f.expires_at > $2
  RETURNING t.hash, t.family_id, t.status AS t_status, t.scope AS t_scope, t.created_at AS t_created_at,
    t.expires_at AS t_expires_at, t.rotated_at, t.successor, f.client_id, f.subject, f.user_id, f.org_id,
    f.installation_id, f.scope AS f_scope, f.claims, f.status AS f_status, f.created_at AS f_created_at,
    f.expires_at AS f_expires_at, f.revoked_at
), inserted AS (
  INSERT INTO refresh_tokens (hash, family_id, status, scope, created_at, expires_at, rotated_at, successor)
  SELECT $3::text, family_id, 'active', $4::text, $5::bigint, $6::bigint, NULL, NULL FROM won
  RETURNING hash
)
SELECT won.* FROM won`;

export class SqlRefreshTokenStore implements RefreshTokenStore {
  constructor(private readonly ctx: SqlContext) {}

  async createFamily(family: Omit<RefreshFamily, 'status' | 'revokedAt'>, first: NewToken): Promise<void> {
    await this.ctx.tx(async (c) => {
      await insertFamily(c, family.familyId, family.clientId, family.subject, family.userId, family.orgId, family.installationId, family.scope.join(' '), toJson(family.claims), family.createdAt, family.expiresAt);
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

  async rotate(hash: string, successor: NewToken, now: number, reuseInterval: number): Promise<RotateOutcome> {
    return (await this.rotateLive(hash, successor, now)) ?? this.rotateOrJudge(hash, successor, now, reuseInterval);
  }

  /**
   * The common case in as few statements as possible: the presented token is active, unexpired and its family
   * live, so the compare-and-set wins and the successor is inserted. PostgreSQL does it in ONE statement (a
   * data-modifying CTE: the UPDATE takes the row lock and re-checks its WHERE after waiting, so concurrent
   * callers still see exactly one winner); SQLite in one short transaction. Returns undefined when the CAS did
   * not win — nothing was written then, and rotateOrJudge decides between retry, reuse and invalid.
   */
  private async rotateLive(hash: string, s: NewToken, now: number): Promise<RotateOutcome | undefined> {
    const scope = s.scope.join(' ');
    if (this.ctx.dialect === 'postgres' && !this.ctx.inTransaction) {
      const { rows } = await this.ctx.db.executeQuery<JoinedRow>(CompiledQuery.raw(PG_ROTATE_LIVE, [hash, now, s.hash, scope, s.createdAt, s.expiresAt]));
      const r = rows[0];
      return r ? { kind: 'rotated', family: familyFromRow(familyColumns(r)), previous: tokenFromRow(tokenColumns(r)) } : undefined;
    }
    if (this.ctx.sqlite) {
      // SQLite: the CAS and the INSERT as one synchronous transaction (sqlite/sync-transaction.ts).
      return this.ctx.sqlite.transaction((q) => {
        const won = q.get<CasRow>(SQLITE_CAS_IF_LIVE, [now, s.hash, hash, now, now]);
        if (!won) return undefined;
        q.run(SQLITE_INSERT_TOKEN, [s.hash, won.family_id, scope, s.createdAt, s.expiresAt]);
        return { kind: 'rotated', family: familyFromRow(JSON.parse(won.family) as RefreshFamilyRow), previous: tokenFromRow(won) };
      });
    }
    // Inside a caller's transaction (either dialect): the same steps as Kysely queries.
    return this.ctx.tx(async (c): Promise<RotateOutcome | undefined> => {
      const won = (await casIfLive(c, hash, now, s.hash)).rows[0];
      if (!won) return undefined;
      await insertToken(c, s.hash, won.family_id, scope, s.createdAt, s.expiresAt);
      const f = (await familyById(c, won.family_id)).rows[0];
      if (!f) throw new Error(`refresh family ${won.family_id} vanished inside its rotation`);
      return { kind: 'rotated', family: familyFromRow(f), previous: tokenFromRow(won) };
    });
  }

  /** Everything but the live case: a retry inside the reuse interval, reuse (revokes the family), or invalid. */
  private async rotateOrJudge(hash: string, successor: NewToken, now: number, reuseInterval: number): Promise<RotateOutcome> {
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
      // Every node's revoked-family set learns of it from this row (its JWT access tokens die at introspection).
      await c.change('family', family.familyId, now);
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
      const revoked = Number(res.numUpdatedRows) > 0;
      if (revoked) await c.change('family', familyId, now);
      return revoked;
    });
  }

  private revokeWhere(column: 'installation_id' | 'user_id' | 'client_id', value: string, now: number): Promise<number> {
    return this.ctx.tx((c) => revokeFamiliesWhere(c, column, value, now));
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
 * concurrently is either revoked and announced, or neither. Used by the bulk revocations and by an installation's
 * revocation (sql/organizations.ts). Returns how many families were revoked.
 */
export async function revokeFamiliesWhere(c: SqlContext, column: 'installation_id' | 'user_id' | 'client_id', value: string, now: number): Promise<number> {
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

/** Thrown inside the rotation transaction to roll back a CAS that won on a dead family. */
class FamilyGoneError extends Error {}
