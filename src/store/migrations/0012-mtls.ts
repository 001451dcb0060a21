import type { Kysely } from 'kysely';
import type { Dialect } from '../sql/dialect.js';

/**
 * Mutual-TLS client settings (issue 24, RFC 8705): how a tls_client_auth client's certificate is recognised
 * (§2.1.2: the subject DN or one subjectAltName entry; all null for any other client), and whether the client
 * always asks for certificate-bound access tokens (§3.4, 0 = no).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  for (const column of ['tls_client_auth_subject_dn', 'tls_client_auth_san_dns', 'tls_client_auth_san_uri', 'tls_client_auth_san_ip', 'tls_client_auth_san_email']) {
    await db.schema.alterTable('clients').addColumn(column, 'text').execute();
  }
  await db.schema.alterTable('clients').addColumn('tls_client_certificate_bound_access_tokens', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
