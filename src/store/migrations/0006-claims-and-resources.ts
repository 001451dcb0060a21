import type { Kysely } from 'kysely';
import type { Dialect } from '../sql/dialect.js';

/**
 * Resource indicators (RFC 8707) and custom claims (docs/tokens.md):
 * - clients.allowed_resources: the resources / audiences a client may ask for (JSON array; null = its audience);
 * - clients.metadata: the operator's bounded JSON object that claim templates may reference;
 * - clients.claims: the claim template (JSON object: claim name -> literal or `{{reference}}`);
 * - clients.token_hook: fail_open | fail_closed when the client's tokens go through the token hook, else null;
 * - users.metadata: the user's bounded JSON object, which claim templates may reference;
 * - refresh_families.audience: what the family was granted (JSON array; null = the default audience), so a
 *   refresh keeps it and may narrow it (RFC 8707 §2.2).
 * All nullable text: old rows mean "not set", and no existing query changes.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('clients').addColumn('allowed_resources', 'text').execute();
  await db.schema.alterTable('clients').addColumn('metadata', 'text').execute();
  await db.schema.alterTable('clients').addColumn('claims', 'text').execute();
  await db.schema.alterTable('clients').addColumn('token_hook', 'text').execute();
  await db.schema.alterTable('users').addColumn('metadata', 'text').execute();
  await db.schema.alterTable('refresh_families').addColumn('audience', 'text').execute();
}
