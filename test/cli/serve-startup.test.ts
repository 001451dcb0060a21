import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL, type TestDatabase } from '../support/services.js';

/**
 * Issue 18, items 13 and 16: every failed `tessera serve` start-up prints one clear line on stderr and exits
 * non-zero, on SQLite (where the process used to exit 0 silently once the database was open: the checkpointer's
 * stop() awaited an unref'd thread) and on PostgreSQL; a database that is not up yet is retried for
 * databaseStartupRetryMs. Runs the built CLI (bin/tessera.js loads dist/: `npm run build` after changing src/).
 */
const BIN = resolve('bin/tessera.js');
const dir = mkdtempSync(join(tmpdir(), 'tessera-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let runs = 0;
// One master key for every run: the PostgreSQL runs share a database, and its signing key is sealed under it.
const MASTER_KEY = randomBytes(32).toString('base64url');

/** Runs `tessera serve` in a fresh data dir until it exits (killed after 60 s: a start-up that hangs fails too). */
function serve(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const dataDir = join(dir, `data-${++runs}`);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, ...args], {
      env: { ...process.env, TESSERA_LOG_LEVEL: 'info', TESSERA_MASTER_KEY: MASTER_KEY, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(killer);
      done({ code, stdout, stderr });
    });
  });
}

/** Exit code as given, non-zero, and exactly one line on stderr matching the pattern. */
function expectOneLine(r: Run, code: number, pattern: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect({ code: r.code, lines }, `stdout:\n${r.stdout}`).toEqual({ code, lines: [expect.stringMatching(pattern)] });
  expect(code).not.toBe(0);
  expect(lines[0]).toMatch(/^tessera: /);
}

/** A port something else listens on, for the lifetime of the suite. */
const occupied = net.createServer();
let busyPort = 0;
beforeAll(async () => {
  await new Promise<void>((r) => occupied.listen(0, '127.0.0.1', r));
  busyPort = (occupied.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => occupied.close(() => r())));

const missingDoc = join(dir, 'missing.json');
const notJson = join(dir, 'not-json.json');
const invalidDoc = join(dir, 'invalid.json');
writeFileSync(notJson, '{"clients": [');
writeFileSync(invalidDoc, JSON.stringify({ clients: [{ client_id: 7, grant_types: ['client_credentials'] }] }));

function failureCases(store: () => string[]): void {
  it('port in use', async () => {
    expectOneLine(await serve([...store(), '--port', String(busyPort), '--host', '127.0.0.1']), 1, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${busyPort}: the port is already in use \\(EADDRINUSE\\)$`));
  });

  it('a missing --import file', async () => {
    expectOneLine(await serve([...store(), '--port', '0', '--import', missingDoc]), 1, /start-up failed: --import .*missing\.json: ENOENT: no such file or directory/);
  });

  it('an --import file that is not JSON, and one that is not a valid document', async () => {
    expectOneLine(await serve([...store(), '--port', '0', '--import', notJson]), 1, /start-up failed: --import .*not-json\.json: \$: not valid JSON/);
    expectOneLine(await serve([...store(), '--port', '0', '--import', invalidDoc]), 1, /start-up failed: --import .*invalid\.json: \$\.clients\[0\]/);
  });

  it('--profile smscx without a prefix, and two profiles on one prefix (configuration errors: exit 2)', async () => {
    expectOneLine(await serve([...store(), '--port', '0', '--profile', 'smscx']), 2, /profile smscx needs a path prefix/);
    expectOneLine(await serve([...store(), '--port', '0', '--profile', 'cobo=/x', '--profile', 'knetik=/x']), 2, /profiles cobo and knetik cannot share the prefix \/x/);
  });

  it('a --host that is not an address of this machine (binding fails locally, nothing is sent)', async () => {
    expectOneLine(await serve([...store(), '--port', '0', '--host', '203.0.113.1']), 1, /cannot listen on 203\.0\.113\.1:0: .*\(EADDRNOTAVAIL\)$/);
  });
}

describe('start-up failures on SQLite', () => {
  failureCases(() => []);
});

const run = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);

describe('start-up failures on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    if (run) db = await createTestDatabase();
  });
  afterAll(async () => db?.drop());

  describe.runIf(run)('each failure', () => failureCases(() => ['--database-url', db.url]));
});
