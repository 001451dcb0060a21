import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database as Schema } from '../sql/schema.js';
import { SqlStore } from '../sql/store.js';
import { migrateToLatest } from '../migrations/index.js';
import { PreparingPool } from './prepared.js';

// int8 (bigint) columns hold Unix seconds and counters: well inside Number's exact range.
pg.types.setTypeParser(20, (v: string) => Number(v));

export interface PostgresOptions {
  migrate?: boolean;
  /** Pool size per process; the default keeps N nodes x workers under PostgreSQL's default 100 connections. */
  poolSize?: number;
  /** Named prepared statements (default on). Turn off behind a transaction-pooling PgBouncer older than 1.21. */
  preparedStatements?: boolean;
}

/** PostgreSQL through node-postgres with a bounded pool; connection failures surface fast so the request gets a 503. */
export async function openPostgresStore(url: string, opts: PostgresOptions = {}): Promise<SqlStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 10_000,
    query_timeout: 12_000,
    application_name: 'tessera',
  });
  // A client losing its connection (database restart, failover) must never crash the process. pg-pool only
  // listens for errors on IDLE clients (re-emitted here as pool 'error'); a client checked out for a query
  // emits 'error' too, with nobody listening -> an uncaught exception. The query itself still rejects (the
  // request gets a 503) and the pool discards the broken client on release.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: opts.preparedStatements === false ? pool : new PreparingPool(pool) }) });
  if (opts.migrate !== false) {
    // The first query is the first connection: if it fails (database not up yet, start-up retries), end the
    // pool rather than leave one behind per attempt.
    await migrateToLatest(db, 'postgres').catch(async (err: unknown) => {
      await db.destroy().catch(() => undefined);
      throw err;
    });
  }
  return SqlStore.open(db, 'postgres', async () => {
    await db.destroy();
  });
}
