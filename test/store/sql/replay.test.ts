import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { SqlContext } from '../../../src/store/sql/context.js';
import { SqlReplayStore } from '../../../src/store/sql/replay.js';

// The conformance suite (test/conformance) checks the answers on SQLite and PostgreSQL; this checks the group
// commit itself: how many statements a burst costs, and what a failing statement does to its batch.
let raw: Database.Database;
let statements: string[];
let failNext: boolean;
let store: SqlReplayStore;

beforeAll(() => {
  raw = new Database(':memory:');
  raw.exec('create table replay (key text primary key, expires_at integer not null)');
  statements = [];
  failNext = false;
  const kysely = new Kysely({
    dialect: new SqliteDialect({ database: raw }),
    log: (e) => {
      if (e.level === 'query') statements.push(e.query.sql);
    },
  });
  const ctx = new SqlContext(kysely as never, 'sqlite', false);
  const db = ctx.db as unknown as { executeQuery: (q: unknown) => Promise<unknown> };
  const execute = db.executeQuery.bind(db);
  db.executeQuery = (q) => {
    if (failNext) {
      failNext = false;
      return Promise.reject(new Error('disk I/O error'));
    }
    return execute(q);
  };
  store = new SqlReplayStore(ctx, () => 1_000);
});
afterAll(() => raw.close());

describe('SqlReplayStore group commit', () => {
  it('spends the keys asked for in one turn in one statement per 64 keys', async () => {
    statements.length = 0;
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.remember(`k${i}`, 2_000)));
    expect(results.every(Boolean)).toBe(true);
    expect(statements).toHaveLength(2);
    expect(raw.prepare('select count(*) as n from replay').get()).toEqual({ n: 100 });
  });

  it('a lone key is one statement too, and a later turn is a new batch', async () => {
    statements.length = 0;
    expect(await store.remember('solo', 2_000)).toBe(true);
    expect(await store.remember('solo', 2_000)).toBe(false);
    expect(statements).toHaveLength(2);
  });

  it('a failing statement rejects every ask of its batch and writes nothing; the next batch works', async () => {
    failNext = true;
    const asks = ['f1', 'f2', 'f3'].map((k) => store.remember(k, 2_000));
    for (const a of asks) await expect(a).rejects.toThrow(/disk I\/O error/);
    expect(raw.prepare("select count(*) as n from replay where key like 'f%'").get()).toEqual({ n: 0 });
    expect(await store.remember('f1', 2_000)).toBe(true);
  });
});
