import type { Kysely } from 'kysely';
import type { Dialect } from '../sql/dialect.js';

/**
 * Sender-constrained tokens, the DPoP half (RFC 9449, issue 24):
 * - `clients.dpop_bound_access_tokens` (0/1): RFC 9449 §5.2, the client must send a DPoP proof with every token
 *   request; a bearer request is refused.
 * - `refresh_families.confirmation`: the family's RFC 7800 `cnf` object as JSON (null = unbound). A public
 *   client's refresh tokens are bound to the key its first DPoP proof used (RFC 9449 §5, `{"jkt": ...}`); a
 *   refresh must prove possession of the same key. A JSON object rather than a jkt column, so other confirmation
 *   methods (RFC 8705's `x5t#S256`) bind a family without another migration.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('clients').addColumn('dpop_bound_access_tokens', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('refresh_families').addColumn('confirmation', 'text').execute();
}
