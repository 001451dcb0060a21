import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { SqlContext } from '../../../src/store/sql/context.js';
import { prepared } from '../../../src/store/sql/prepared.js';

interface Db {
  t: { id: string; v: string | null; n: number };
}

let raw: Database.Database;
let ctx: SqlContext;
const seen: string[] = [];

beforeAll(() => {
  raw = new Database(':memory:');
  raw.exec('create table t (id text primary key, v text, n integer not null)');
  const kysely = new Kysely<Db>({ dialect: new SqliteDialect({ database: raw }), log: (e) => void seen.push(e.query.sql) });
  ctx = new SqlContext(kysely as never, 'sqlite', false);
});
afterAll(() => raw.close());

type C = { db: Kysely<Db> };

describe('prepared (a Kysely query compiled once, executed with new values)', () => {
  const insert = prepared<[id: string, v: string | null, n: number], never>(3, (c, id, v, n) => (c as unknown as C).db.insertInto('t').values({ id, v, n }));
  // 'b' is a constant the builder turns into a parameter too: it must stay 'b' whatever the arguments.
  const above = prepared<[n: number], Db['t']>(1, (c, n) => (c as unknown as C).db.selectFrom('t').selectAll().where('n', '>=', n).where('id', '!=', 'b').orderBy('id'));

  it('binds each call\'s values, keeps constants, and sends the same SQL every time', async () => {
    seen.length = 0;
    await insert(ctx, 'a', 'one', 1);
    await insert(ctx, 'b', null, 2);
    await insert(ctx, 'c', undefined as unknown as null, 3);
    expect(raw.prepare('select * from t order by id').all()).toEqual([
      { id: 'a', v: 'one', n: 1 },
      { id: 'b', v: null, n: 2 },
      { id: 'c', v: null, n: 3 },
    ]);
    expect(new Set(seen).size).toBe(1);
  });

  it('an argument used twice is bound in both places', async () => {
    const atLeastBelow = prepared<[n: number], Db['t']>(1, (c, n) => (c as unknown as C).db.selectFrom('t').selectAll().where('n', '>=', n).where('n', '<=', n));
    expect((await atLeastBelow(ctx, 2)).rows.map((r) => r.id)).toEqual(['b']);
    expect((await atLeastBelow(ctx, 3)).rows.map((r) => r.id)).toEqual(['c']);
    expect((await above(ctx, 1)).rows.map((r) => r.id)).toEqual(['a', 'c']);
    expect((await above(ctx, 3)).rows.map((r) => r.id)).toEqual(['c']);
  });

  it('refuses a build that drops an argument (it would silently run with a stale value)', async () => {
    const broken = prepared<[id: string, ignored: string], Db['t']>(2, (c, id) => (c as unknown as C).db.selectFrom('t').selectAll().where('id', '=', id));
    await expect(async () => broken(ctx, 'a', 'b')).rejects.toThrow(/argument 1 does not reach the SQL/);
  });
});
