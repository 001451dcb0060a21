import type { Kysely } from 'kysely';
import type { Dialect } from '../sql/dialect.js';

/**
 * Two client changes of the admin API work (issue 20).
 *
 * `clients.version`: a counter every update increments, so a conditional write (If-Match) is one compare-and-set
 * statement (`... where version = ?`) and two nodes holding the same ETag cannot both write.
 *
 * Clients registered dynamically (RFC 7591) and the hash of their registration access token (RFC 7592 §1): one
 * row per such client, dropped with the client (foreign key, ON DELETE CASCADE). The token itself is never stored.
 * A table of its own, not a column of clients: the token path reads clients on every cache miss and never needs it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('clients').addColumn('version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema
    .createTable('client_registrations')
    .addColumn('client_id', 'text', (c) => c.primaryKey().references('clients.client_id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('registered_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
