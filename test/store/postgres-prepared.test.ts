import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PreparingPool } from '../../src/store/postgres/prepared.js';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL, type TestDatabase } from '../support/services.js';

const available = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);

describe.runIf(available)('PreparingPool', () => {
  let db: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
    await pool.query('create table t (id int primary key, v text)');
    await pool.query(`insert into t values (1, 'one'), (2, 'two')`);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  async function preparedOn(client: { query<R>(sql: string, p: readonly unknown[]): Promise<{ rows: R[] }> }): Promise<string[]> {
    return (await client.query<{ name: string }>('select name from pg_prepared_statements order by name', [])).rows.map((r) => r.name);
  }

  it('prepares a parameterised statement once per connection under a stable name; unparameterised ones stay unnamed', async () => {
    const p = new PreparingPool(pool);
    const c = await p.connect();
    try {
      const a = await c.query<{ v: string }>('select v from t where id = $1', [1]);
      const b = await c.query<{ v: string }>('select v from t where id = $1', [2]);
      expect([a.rows[0]!.v, b.rows[0]!.v]).toEqual(['one', 'two']);
      const names = await preparedOn(c);
      expect(names).toEqual([p.nameFor('select v from t where id = $1')]);
    } finally {
      c.release();
    }
  });

  it('caps the number of distinct names', async () => {
    const p = new PreparingPool(pool, 1);
    expect(p.nameFor('select 1 where $1::int = 1')).toMatch(/^t[0-9a-f]{24}$/);
    expect(p.nameFor('select 2 where $1::int = 1')).toBeUndefined();
    expect(p.nameFor('select 1 where $1::int = 1')).toMatch(/^t[0-9a-f]{24}$/);
  });

  it('survives a schema change under a prepared plan, and discards that connection', async () => {
    const p = new PreparingPool(pool);
    const c1 = await p.connect();
    expect((await c1.query<Record<string, unknown>>('select * from t where id = $1', [1])).rows[0]).toEqual({ id: 1, v: 'one' });
    c1.release();
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    await other.query('alter table t add column extra int');
    await other.end();
    const c2 = await p.connect();
    expect((await c2.query<Record<string, unknown>>('select * from t where id = $1', [1])).rows[0]).toEqual({ id: 1, v: 'one', extra: null });
    const before = pool.totalCount;
    c2.release();
    expect(pool.totalCount).toBe(before - 1);
    const c3 = await p.connect();
    expect((await c3.query<Record<string, unknown>>('select * from t where id = $1', [2])).rows[0]).toEqual({ id: 2, v: 'two', extra: null });
    c3.release();
  });
});
