import type { Kysely } from 'kysely';
import type { Dialect } from '../sql/dialect.js';

/** Revoking a refresh-token family deletes the opaque access tokens issued from it (RFC 7009 §2.1). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.createIndex('access_tokens_family').on('access_tokens').column('family_id').execute();
}
