import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../sql/dialect.js';

/**
 * Every node loads the refresh-token families revoked within the longest access-token lifetime when it starts
 * (oauth/revoked-families.ts). A partial index over the revoked rows alone serves that query without a scan of
 * the families table and costs nothing when a family is created (revoked_at is NULL until it is revoked).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.createIndex('refresh_families_revoked').on('refresh_families').column('revoked_at').where(sql.ref('revoked_at'), 'is not', null).execute();
}
