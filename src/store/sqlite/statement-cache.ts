import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * better-sqlite3 with a cache of prepared statements, for Kysely's SqliteDialect. Kysely calls prepare() for
 * every query; SQLite's parse and plan cost tens of microseconds a time, paid again and again by the hot
 * queries (refresh rotation, opaque tokens). The queries come from the query builder, so their number is small
 * and bounded; the map is capped anyway. A statement still mid-iteration is never handed out twice.
 */
export function cachingDatabase(db: BetterSqlite3.Database, maxStatements = 500): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (stmt && !stmt.busy) return stmt as unknown as SqliteStatement;
      stmt = db.prepare(sql);
      if (!cache.has(sql)) {
        if (cache.size >= maxStatements) cache.delete(cache.keys().next().value!);
        cache.set(sql, stmt);
      }
      return stmt as unknown as SqliteStatement;
    },
    close(): void {
      cache.clear();
      db.close();
    },
  };
}
