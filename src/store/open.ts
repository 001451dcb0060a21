import { join } from 'node:path';
import type { Store } from './types.js';
import { openSqliteStore } from './sqlite/open.js';

export interface StoreLocation {
  databaseUrl?: string | undefined;
  dataDir: string;
  poolSize?: number;
  preparedStatements?: boolean;
}

export function describeStore(loc: StoreLocation): string {
  if (loc.databaseUrl) return redactUrl(loc.databaseUrl);
  return join(loc.dataDir, 'tessera.db');
}

/**
 * Opens the store the location names: PostgreSQL for a postgres:// URL, the SQLite file of a sqlite: URL, else the
 * embedded SQLite file in the data dir. `migrate` (default true) brings the schema up to date first;
 * `backgroundCheckpoints` has the serving process's SQLite WAL checkpointed on a thread of its own
 * (sqlite/checkpointer.ts; PostgreSQL has nothing to checkpoint).
 */
export async function openStore(loc: StoreLocation, opts: { migrate?: boolean; backgroundCheckpoints?: boolean } = {}): Promise<Store> {
  if (loc.databaseUrl && /^postgres(ql)?:\/\//.test(loc.databaseUrl)) {
    // Loaded only when configured: a SQLite node never pays for node-postgres at start-up.
    const { openPostgresStore } = await import('./postgres/open.js');
    return openPostgresStore(loc.databaseUrl, { ...(opts.migrate === false ? { migrate: false } : {}), ...(loc.poolSize ? { poolSize: loc.poolSize } : {}), ...(loc.preparedStatements === false ? { preparedStatements: false } : {}) });
  }
  if (loc.databaseUrl && loc.databaseUrl.startsWith('sqlite:')) {
    return openSqliteStore(loc.databaseUrl.slice('sqlite:'.length), opts);
  }
  return openSqliteStore(join(loc.dataDir, 'tessera.db'), opts);
}

/** Never print a database password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
