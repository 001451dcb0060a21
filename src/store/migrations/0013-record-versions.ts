import type { Kysely } from 'kysely';
import type { Dialect } from '../sql/dialect.js';

/**
 * If-Match as a compare-and-set across nodes for users, organizations, installations and identity providers, as 0008 did for clients: `version` is a
 * counter every update increments, so a conditional write is one statement (`... where version = ?`) and two
 * nodes holding the same ETag cannot both write. Existing rows start at 1.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  for (const table of ['users', 'organizations', 'installations', 'identity_providers']) {
    await db.schema.alterTable(table).addColumn('version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  }
}
