import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrations/index.js';
import type { Database } from '../../src/store/sql/schema.js';
import { SqlStore } from '../../src/store/sql/store.js';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL, type TestDatabase } from '../support/services.js';

/**
 * Every lookup the token path and the periodic cleanup make is served by a primary key or an index, so it
 * stays O(log n) at millions of rows. The statements are the store's real ones (captured through Kysely's
 * log), explained on tables holding many rows with sequential scans disabled: a Seq Scan left in a plan then
 * means no index can serve that statement. A plan check, not a timing.
 */
const available = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);
const ROWS = 50_000;

describe.runIf(available)('PostgreSQL query plans', () => {
  let db: TestDatabase;
  let kysely: Kysely<Database>;
  let store: SqlStore;
  let admin: pg.Client;
  const captured: Array<{ sql: string; params: readonly unknown[] }> = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    kysely = new Kysely<Database>({
      dialect: new PostgresDialect({ pool }),
      log: (e: LogEvent) => {
        if (e.level === 'query') captured.push({ sql: e.query.sql, params: e.query.parameters });
      },
    });
    await migrateToLatest(kysely, 'postgres');
    store = SqlStore.open(kysely, 'postgres', async () => kysely.destroy());
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const far = 4_000_000_000;
    await admin.query(`insert into refresh_families (family_id, client_id, subject, user_id, org_id, installation_id, scope, claims, status, created_at, expires_at, revoked_at)
      select 'f' || i, 'c' || (i % 100), 's' || i, 'u' || (i % 5000), null, null, 'read', null, 'active', 1, ${far}, null from generate_series(1, ${ROWS}) i`);
    await admin.query(`insert into refresh_tokens (hash, family_id, status, scope, created_at, expires_at, rotated_at, successor)
      select 'h' || i, 'f' || (1 + i % ${ROWS}), 'active', 'read', 1, ${far}, null, null from generate_series(1, ${ROWS * 2}) i`);
    await admin.query(`insert into access_tokens (hash, jti, client_id, subject, user_id, org_id, family_id, scope, audience, claims, issued_at, expires_at)
      select 'a' || i, 'j' || i, 'c1', 's', null, null, 'f' || (1 + i % ${ROWS}), 'read', '["aud"]', null, 1, ${far} from generate_series(1, ${ROWS}) i`);
    await admin.query(`insert into revoked_jtis (jti, client_id, expires_at) select 'j' || i, 'c1', ${far} from generate_series(1, ${ROWS}) i`);
    await admin.query(`insert into replay (key, expires_at) select 'r' || i, ${far} from generate_series(1, ${ROWS}) i`);
    await admin.query(`insert into changes (topic, key, at) select 'client', 'c' || i, ${far} from generate_series(1, ${ROWS}) i`);
    await admin.query('analyze');
  }, 120_000);

  afterAll(async () => {
    await admin?.end();
    await store?.close();
    await db?.drop();
  });

  it('serves every hot statement from an index', async () => {
    const now = 3_000_000_000;
    captured.length = 0;
    await store.clients.get('c1');
    await store.users.get('u1');
    await store.users.getByUsername('alice');
    await store.refreshTokens.find('h10');
    await store.refreshTokens.rotate('h11', { hash: 'new-h11', scope: ['read'], createdAt: now, expiresAt: now + 60 }, now, 0);
    await store.refreshTokens.rotate('h11', { hash: 'new2-h11', scope: ['read'], createdAt: now, expiresAt: now + 60 }, now, 0); // reuse path
    await store.refreshTokens.revokeFamily('f20', now);
    await store.refreshTokens.listRevokedFamilies(now - 86_400); // every node at start-up
    await store.accessTokens.findOpaque('a5');
    await store.accessTokens.isJtiDenied('j5');
    await store.accessTokens.deleteOpaqueByFamily('f30');
    await store.replay.remember('r-new', now + 60);
    await store.changes.latest();
    await store.changes.since(ROWS - 10);
    await store.refreshTokens.deleteExpired(now);
    await store.accessTokens.deleteExpired(now);
    await store.replay.deleteExpired(now);
    await store.changes.prune(now);

    const statements = captured.filter((q) => /^\s*(select|update|delete)\b/i.test(q.sql) && /\bwhere\b/i.test(q.sql));
    expect(statements.length).toBeGreaterThan(15);
    const seqScans: string[] = [];
    await admin.query('set enable_seqscan = off');
    for (const q of statements) {
      const res = await admin.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${q.sql}`, [...q.params]);
      const plan = JSON.stringify(res.rows[0]!['QUERY PLAN']);
      if (plan.includes('"Seq Scan"')) seqScans.push(q.sql);
    }
    expect(seqScans).toEqual([]);
  }, 60_000);
});
