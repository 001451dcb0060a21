import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, SqliteDatabase } from 'kysely';

/** The statements a synchronous transaction runs: SQL text with `?` parameters, prepared once (statement cache). */
export interface SyncQueries {
  get<R>(sql: string, params: readonly unknown[]): R | undefined;
  run(sql: string, params: readonly unknown[]): number;
}

/**
 * Short write transactions on the hot path (refresh rotation) run as ONE synchronous better-sqlite3
 * transaction instead of four awaited Kysely queries (BEGIN, statements, COMMIT): nothing can interleave
 * with them, and they skip Kysely's per-query work (~8 µs each under `--cpu-prof`; docs/architecture.md, "The
 * refresh path"). They still take Kysely's
 * connection first, so they never run inside a Kysely transaction that another request holds open across an
 * await on the same connection. An exception inside `work` rolls the transaction back (better-sqlite3).
 */
export interface SyncTransactions {
  transaction<T>(work: (q: SyncQueries) => T): Promise<T>;
}

export function syncTransactions(raw: BetterSqlite3.Database, cached: SqliteDatabase, db: Kysely<unknown>): SyncTransactions {
  const statement = (sql: string) => cached.prepare(sql) as unknown as BetterSqlite3.Statement;
  const queries: SyncQueries = {
    get: <R>(sql: string, params: readonly unknown[]) => statement(sql).get(...params) as R | undefined,
    run: (sql, params) => statement(sql).run(...params).changes,
  };
  // One wrapper, made once: better-sqlite3 issues BEGIN/COMMIT (ROLLBACK on a throw) around the call.
  const inTransaction = raw.transaction(<T>(work: (q: SyncQueries) => T): T => work(queries));
  return {
    transaction: <T>(work: (q: SyncQueries) => T) => db.connection().execute(async () => inTransaction(work) as T),
  };
}
