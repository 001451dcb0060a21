import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../sql/dialect.js';

/**
 * Automatic signing-key rotation (docs/tokens.md, "Signing-key rotation").
 *
 * `activates_at` (Unix seconds) is when a key starts signing: a scheduled key is inserted as `pending` with an
 * activation time `keys.prePublish` ahead, published in the JWKS meanwhile, and every node's key ring switches
 * to it at that time by its own clock. Null for keys that signed from their creation (every key before this
 * migration, the first key, a manual rotation): their activation is `created_at`.
 *
 * At most one key is pending, enforced by the database as well as by the scheduler's compare-and-set: a
 * partial unique index (SQLite and PostgreSQL both have them), so no interleaving can publish two next keys.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('signing_keys').addColumn('activates_at', 'bigint').execute();
  await sql`create unique index signing_keys_one_pending on signing_keys (status) where status = 'pending'`.execute(db);
}
