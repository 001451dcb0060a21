import type { Kysely } from 'kysely';
import type { Dialect } from '../sql/dialect.js';

/**
 * Two client settings (issue 23): `delegation`, who may act for whom in RFC 8693 token exchange (JSON), and
 * `allowed_origins`, the browser origins that get CORS on the token, revocation and introspection endpoints
 * (JSON array). Both are nullable: absent means the feature is off for the client.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('clients').addColumn('delegation', 'text').execute();
  await db.schema.alterTable('clients').addColumn('allowed_origins', 'text').execute();
}
