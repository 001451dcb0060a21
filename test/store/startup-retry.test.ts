import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DatabaseUnreachableError, errorClass, openStoreWithRetry } from '../../src/store/startup-retry.js';
import { postgresAvailable, requireService, TEST_DATABASE_URL } from '../support/services.js';

/**
 * Issue 18, item 16: start-up retries a database that is not reachable yet for databaseStartupRetryMs, logging
 * each retry with the error class and never the URL's password, and fails at once on errors waiting cannot fix.
 * The end-to-end cases (a node exiting non-zero, a node coming up once PostgreSQL accepts) are in
 * test/cli/serve-startup.test.ts.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'tessera-retry-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function closedPort(): Promise<number> {
  return new Promise((done) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => done(port));
    });
  });
}

function recorder() {
  const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  return { warnings, logger: { warn: (fields: object, msg: string) => void warnings.push({ fields: fields as Record<string, unknown>, msg }) } };
}

describe('databaseStartupRetryMs', () => {
  it('defaults to 30 s, comes from TESSERA_DATABASE_STARTUP_RETRY_MS, and 0 is allowed while negatives are not', () => {
    expect(loadConfig({}, {}).databaseStartupRetryMs).toBe(30_000);
    expect(loadConfig({}, { TESSERA_DATABASE_STARTUP_RETRY_MS: '0' }).databaseStartupRetryMs).toBe(0);
    expect(loadConfig({}, { TESSERA_DATABASE_STARTUP_RETRY_MS: '5000' }).databaseStartupRetryMs).toBe(5000);
    expect(() => loadConfig({}, { TESSERA_DATABASE_STARTUP_RETRY_MS: '-1' })).toThrow(ConfigError);
  });
});

describe('openStoreWithRetry', () => {
  it('retries a refused connection with growing delays, logs each at warn without the password, then gives up', async () => {
    const port = await closedPort();
    const { warnings, logger } = recorder();
    const err = await openStoreWithRetry({ databaseUrl: `postgres://app:pw-secret-1@127.0.0.1:${port}/app`, dataDir }, {}, { windowMs: 1200, logger }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatabaseUnreachableError);
    expect((err as Error).message).toMatch(new RegExp(`^the database at postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/app is not reachable within 1\\.2 s \\(\\d+ attempts; setting databaseStartupRetryMs\\): ECONNREFUSED$`));
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(warnings.map((w) => w.fields.attempt)).toEqual(warnings.map((_, i) => i + 1));
    const delays = warnings.map((w) => w.fields.retryInMs as number);
    expect(delays[0]).toBe(250);
    expect(delays[1]).toBe(500);
    for (const w of warnings) expect(w).toMatchObject({ msg: 'the database is not reachable yet; retrying', fields: { error: 'ECONNREFUSED' } });
    expect(JSON.stringify(warnings)).not.toContain('pw-secret-1');
  });

  it('windowMs 0: one attempt, no retry', async () => {
    const port = await closedPort();
    const { warnings, logger } = recorder();
    await expect(openStoreWithRetry({ databaseUrl: `postgres://app@127.0.0.1:${port}/app`, dataDir }, {}, { windowMs: 0, logger })).rejects.toThrow(/is not reachable: ECONNREFUSED$/);
    expect(warnings).toEqual([]);
  });

  it('error classes name the code or a short label, never the message', () => {
    expect(errorClass(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(errorClass(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe('57P03');
    expect(errorClass(new Error('timeout exceeded when trying to connect'))).toBe('connect timeout');
    expect(errorClass(new Error('Connection terminated unexpectedly'))).toBe('connection terminated');
    expect(errorClass(new TypeError('user secret'))).toBe('TypeError');
  });
});

const pg = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);

describe.runIf(pg)('openStoreWithRetry against PostgreSQL', () => {
  it('fails at once, without retrying, when the database does not exist (waiting cannot fix it)', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = '/tessera_no_such_database_for_retry_test';
    const { warnings, logger } = recorder();
    await expect(openStoreWithRetry({ databaseUrl: url.toString(), dataDir }, {}, { windowMs: 30_000, logger })).rejects.toMatchObject({ code: '3D000' });
    expect(warnings).toEqual([]);
  });
});
