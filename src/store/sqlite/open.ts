import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database as Schema } from '../sql/schema.js';
import { SqlStore } from '../sql/store.js';
import { migrateToLatest } from '../migrations/index.js';
import { cachingDatabase } from './statement-cache.js';
import { startCheckpointer } from './checkpointer.js';
import { syncTransactions } from './sync-transaction.js';
import { createPrivateFile, makePrivateDir } from '../data-files.js';

/**
 * SQLite through better-sqlite3 (synchronous, the fastest Node binding; ADR 0004). WAL lets readers run beside
 * the writer, and busy_timeout makes a second process (the CLI, another worker) wait instead of failing.
 */
export async function openSqliteStore(file: string, opts: { migrate?: boolean; backgroundCheckpoints?: boolean } = {}): Promise<SqlStore> {
  if (file !== ':memory:') {
    // 0700 directory, 0600 database; SQLite gives its -wal and -shm files the database file's mode.
    makePrivateDir(dirname(file));
    createPrivateFile(file);
  }
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const cached = cachingDatabase(sqlite);
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: cached }) });
  if (opts.migrate !== false) await migrateToLatest(db, 'sqlite');
  // The server's connection checkpoints on a thread of its own; short-lived CLI connections keep SQLite's default.
  const checkpointer = opts.backgroundCheckpoints && file !== ':memory:' ? startCheckpointer(sqlite, file) : undefined;
  return SqlStore.open(
    db,
    'sqlite',
    async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
    syncTransactions(sqlite, cached, db as Kysely<unknown>),
  );
}
