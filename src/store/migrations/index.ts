import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { Migrator } from 'kysely';
import type { Dialect } from '../sql/dialect.js';
import * as m0001 from './0001-initial.js';
import * as m0002AccessTokenFamily from './0002-access-token-family.js';
import * as m0003RefreshTokenExpiry from './0003-refresh-token-expiry.js';
import * as m0004RevokedFamilies from './0004-revoked-families.js';
import * as m0005Events from './0005-events.js';
import * as m0007SecretsAndKeySchedule from './0007-secrets-and-key-schedule.js';
import * as m0009DelegationAndCors from './0009-delegation-and-cors.js';
import * as m0006ClaimsAndResources from './0006-claims-and-resources.js';
import * as m0008ClientRegistration from './0008-client-registration.js';
import * as m0010KeySchedule from './0010-key-schedule.js';
import * as m0012Mtls from './0012-mtls.js';
import * as m0011Dpop from './0011-dpop.js';
import * as m0013RecordVersions from './0013-record-versions.js';
import * as m0014OrgInstallationMetadata from './0014-org-installation-metadata.js';

/**
 * Versioned migrations, compiled into the program (no files to find at run time). Kysely's Migrator records
 * applied versions in kysely_migration and, on PostgreSQL, holds an advisory lock so concurrent starts are safe.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Up = (db: Kysely<any>, dialect: Dialect) => Promise<void>;
const MIGRATIONS: ReadonlyArray<[string, Up]> = [
  ['0001-initial', m0001.up], ['0002-access-token-family', m0002AccessTokenFamily.up], ['0003-refresh-token-expiry', m0003RefreshTokenExpiry.up], ['0004-revoked-families', m0004RevokedFamilies.up],
  ['0005-events', m0005Events.up], ['0006-claims-and-resources', m0006ClaimsAndResources.up], ['0007-secrets-and-key-schedule', m0007SecretsAndKeySchedule.up],
  ['0008-client-registration', m0008ClientRegistration.up], ['0009-delegation-and-cors', m0009DelegationAndCors.up], ['0010-key-schedule', m0010KeySchedule.up],
  ['0011-dpop', m0011Dpop.up], ['0012-mtls', m0012Mtls.up],
  ['0013-record-versions', m0013RecordVersions.up], ['0014-org-installation-metadata', m0014OrgInstallationMetadata.up],
];

class CodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, up] of MIGRATIONS) out[name] = { up: (db) => up(db, this.dialect) };
    return out;
  }
}

export interface MigrationReport {
  applied: string[];
  current: string | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateToLatest(db: Kysely<any>, dialect: Dialect): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider: new CodeMigrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  return { applied, current: MIGRATIONS.at(-1)?.[0] };
}
