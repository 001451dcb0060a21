import type { Kysely } from 'kysely';
import type { Dialect } from '../sql/dialect.js';

/**
 * Client secrets rotated with an overlap.
 *
 * A client holds at most two secrets, so they are a second column set on the client row rather than a table of
 * their own: the client cache keeps holding one row, and the token path still decides a cached secret with one
 * map lookup (docs/tokens.md, "Client secret rotation"). `previous_*` is the secret a rotation kept working for
 * an overlap; either secret may carry an expiry (Unix seconds), checked at use by every node, and a last use
 * that nodes flush about once a minute (approximate, for operators deciding when the old secret is unused).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  const time = 'bigint';
  for (const [name, type] of [
    ['secret_expires_at', time],
    ['secret_last_used_at', time],
    ['previous_secret_hash', 'text'],
    ['previous_secret_encrypted', 'text'],
    ['previous_secret_expires_at', time],
    ['previous_secret_last_used_at', time],
  ] as const) {
    // One statement per column: SQLite's ALTER TABLE adds one column at a time.
    await db.schema.alterTable('clients').addColumn(name, type).execute();
  }
}
