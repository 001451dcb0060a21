import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { cachingDatabase } from '../../../src/store/sqlite/statement-cache.js';

describe('cachingDatabase (prepared statements reused for Kysely)', () => {
  function open() {
    const raw = new Database(':memory:');
    raw.exec('create table t (id integer primary key, v text)');
    return raw;
  }

  it('hands out the same prepared statement for the same SQL, and a fresh one for other SQL', () => {
    const db = cachingDatabase(open());
    const a = db.prepare('select * from t where id = ?');
    expect(db.prepare('select * from t where id = ?')).toBe(a);
    expect(db.prepare('select * from t where v = ?')).not.toBe(a);
    db.close();
  });

  it('never hands out a statement that is mid-iteration', () => {
    const raw = open();
    raw.exec("insert into t (v) values ('a'), ('b')");
    const db = cachingDatabase(raw);
    const sql = 'select * from t order by id';
    const first = db.prepare(sql);
    const it1 = first.iterate([]);
    it1.next();
    const second = db.prepare(sql);
    expect(second).not.toBe(first);
    expect(second.all([])).toHaveLength(2);
    it1.return?.();
    db.close();
  });

  it('stays bounded and still answers correctly past the cap', () => {
    const db = cachingDatabase(open(), 3);
    for (let i = 0; i < 10; i++) db.prepare(`insert into t (v) values ('${i}')`).run([]);
    expect((db.prepare('select count(*) as n from t').all([])[0] as { n: number }).n).toBe(10);
    db.close();
  });

  it('sees schema changes (SQLite re-prepares a cached statement after DDL)', () => {
    const raw = open();
    const db = cachingDatabase(raw);
    const select = 'select * from t';
    db.prepare(select).all([]);
    raw.exec('alter table t add column w text');
    raw.exec("insert into t (v, w) values ('x', 'y')");
    expect(db.prepare(select).all([])).toEqual([{ id: 1, v: 'x', w: 'y' }]);
    db.close();
  });
});
