import type { Kysely } from 'kysely';
import type { Dialect } from '../sql/dialect.js';

/**
 * The periodic cleanup deletes spent refresh tokens past their expiry (`expires_at < now`); without an index
 * that is a full scan of the largest table on every node every minute (found with EXPLAIN in
 * test/store/postgres-plans.test.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.createIndex('refresh_tokens_expires').on('refresh_tokens').column('expires_at').execute();
}
