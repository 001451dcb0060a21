import type { SqlContext } from '../context.js';
import type { SyncTransactions } from '../../sqlite/sync-transaction.js';
import type { LiveRotation } from './types.js';
import { kyselyRotation } from './kysely.js';
import { postgresRotation } from './postgres.js';
import { sqliteRotation } from './sqlite.js';

export type { LiveRotation } from './types.js';

/**
 * The live rotation of a store, chosen once when it opens (SqlStore.open) or a transaction begins: PostgreSQL's
 * one statement, SQLite's synchronous transaction, or the Kysely steps inside a caller's transaction (and for a
 * SQLite connection without synchronous transactions).
 */
export function liveRotationFor(ctx: SqlContext, sqlite?: SyncTransactions): LiveRotation {
  if (ctx.inTransaction) return kyselyRotation(ctx);
  if (ctx.dialect === 'postgres') return postgresRotation(ctx.db);
  if (sqlite) return sqliteRotation(sqlite);
  return kyselyRotation(ctx);
}
