import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeFollower } from '../../src/store/change-follower.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { Change, Store } from '../../src/store/types.js';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL, type TestDatabase } from '../support/services.js';

const available = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);

/**
 * PostgreSQL hands out `changes.seq` at insert time but transactions commit in any order: a follower that
 * only asks for "seq > last seen" would skip a change whose transaction commits after a later one's.
 */
describe.runIf(available)('ChangeFollower on PostgreSQL', () => {
  let db: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openPostgresStore(db.url, { poolSize: 3 });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('does not miss a change whose transaction commits after a later change', async () => {
    const seen: Change[] = [];
    const follower = new ChangeFollower(store.changes, (c) => void seen.push(c), 60_000);
    await follower.start();
    const slow = new pg.Client({ connectionString: db.url });
    await slow.connect();
    try {
      await slow.query('begin');
      await slow.query(`insert into changes (topic, key, at) values ('jti', 'slow', 1)`); // takes the lower seq, uncommitted
      await store.accessTokens.denyJti('fast', 'c1', 4_000_000_000); // a later seq, committed
      await follower.poll();
      expect(seen.map((c) => c.key)).toEqual(['fast']);
      await slow.query('commit');
      await follower.poll();
      expect(seen.map((c) => c.key)).toEqual(['fast', 'slow']);
      await follower.poll();
      expect(seen).toHaveLength(2); // each change once
    } finally {
      follower.stop();
      await slow.end();
    }
  });

  it('stops waiting for a sequence number whose transaction rolled back', async () => {
    const seen: Change[] = [];
    let clock = 1_000_000;
    const follower = new ChangeFollower(store.changes, (c) => void seen.push(c), 60_000, () => clock);
    await follower.start();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query('begin');
    await c.query(`insert into changes (topic, key, at) values ('jti', 'never', 1)`);
    await c.query('rollback');
    await c.end();
    await store.accessTokens.denyJti('after-rollback', 'c1', 4_000_000_000);
    await follower.poll();
    expect(follower.pendingGaps).toBe(1);
    clock += 120_000;
    await follower.poll();
    expect(follower.pendingGaps).toBe(0);
    expect(seen.map((x) => x.key)).toEqual(['after-rollback']);
    follower.stop();
  });
});
