import type { Kysely } from 'kysely';
import type { Dialect } from '../sql/dialect.js';

/**
 * Custom claims (issue 23): organisations and installations carry the operator's bounded `metadata` JSON object
 * too, as clients and users do since 0006, so claim templates may reference `{{org.metadata.*}}` and
 * `{{installation.metadata.*}}`. Nullable text on both engines: old rows mean "not set", and no existing query
 * changes.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('organizations').addColumn('metadata', 'text').execute();
  await db.schema.alterTable('installations').addColumn('metadata', 'text').execute();
}
