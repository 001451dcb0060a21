import type { Store } from './types.js';
import { describeStore, openStore, type StoreLocation } from './open.js';
import { isDependencyFailure } from './errors.js';

export interface StartupRetry {
  /** How long to keep trying (ms) before giving up; 0 = one attempt. */
  windowMs: number;
  logger: { warn(fields: object, msg: string): void };
}

/** The database did not become reachable within the start-up window. Its message is one line without credentials. */
export class DatabaseUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnreachableError';
  }
}

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 2000;

/**
 * What kind of failure it was, for the log: the error code (ECONNREFUSED, 57P03, ...) or a short label; never
 * the message, which may name users, hosts or SQL.
 */
export function errorClass(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'string' && /^[A-Za-z0-9_]{2,32}$/.test(e.code)) return e.code;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/timeout exceeded when trying to connect/i.test(message)) return 'connect timeout';
  if (/Connection terminated/i.test(message)) return 'connection terminated';
  return typeof e?.name === 'string' ? e.name : 'unknown';
}

/**
 * Opens the store, retrying while the database is unreachable or still starting (isDependencyFailure:
 * refused or reset connections, PostgreSQL class 08 and 57P03 "starting up", connect timeouts) with backoff
 * from 250 ms doubling to 2 s, for `windowMs`. Compose-style start orders (Tessera up before PostgreSQL
 * accepts) then just work, while a node whose database never comes exits non-zero for its supervisor.
 * Anything else (wrong password, unknown database, a failed migration) fails at once: waiting cannot fix it.
 * The waits are ordinary (ref'd) timers: the process stays alive while it retries.
 */
export async function openStoreWithRetry(loc: StoreLocation, opts: Parameters<typeof openStore>[1], retry: StartupRetry): Promise<Store> {
  const started = Date.now();
  const where = describeStore(loc);
  for (let attempt = 1; ; attempt++) {
    try {
      return await openStore(loc, opts);
    } catch (err) {
      if (!isDependencyFailure(err)) throw err;
      const left = retry.windowMs - (Date.now() - started);
      if (left <= 0) {
        const waited = retry.windowMs > 0 ? ` within ${Math.round(retry.windowMs / 100) / 10} s (${attempt} attempts; setting databaseStartupRetryMs)` : '';
        throw new DatabaseUnreachableError(`the database at ${where} is not reachable${waited}: ${errorClass(err)}`);
      }
      const delay = Math.min(left, FIRST_DELAY_MS * 2 ** Math.min(attempt - 1, 8), MAX_DELAY_MS);
      retry.logger.warn({ database: where, error: errorClass(err), attempt, retryInMs: delay }, 'the database is not reachable yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
