import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, describe, expect, it, vi } from 'vitest';

/**
 * The worker programs (src/keys/signing-worker.ts, src/store/sqlite/checkpoint-worker.ts) are files of their own,
 * found beside the module that starts them: in dist/ as tsc emits it, and beside the bundle, dist/tessera.mjs,
 * where scripts/bundle.mjs writes them (ADR 0008). `tessera serve` from each build must run both threads: the
 * signing thread without a warning, the checkpoint thread copying the server's writes into the database file.
 * Under the test runner the other tests run them from the TypeScript sources. Needs `npm run build`.
 */
const ENTRIES = { bundle: 'dist/tessera.mjs', 'tsc output': 'dist/cli/main.js' };
const dir = mkdtempSync(join(tmpdir(), 'tessera-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// A file, not `node -e`: threads inherit the process's execArgv, and `--input-type` would stop them starting.
const LAUNCHER = join(dir, 'launch.mjs');
writeFileSync(LAUNCHER, 'const [entry, ...args] = process.argv.slice(2);\nawait (await import(entry)).main(args);\n');

/** Rows of `clients` in a copy of the database file alone, without its WAL: what checkpoints have copied there. */
function clientsInMainFile(file: string): number {
  const copy = join(dir, `copy-${Date.now()}.db`);
  copyFileSync(file, copy);
  const db = new Database(copy, { readonly: true });
  try {
    // The imported clients: not the console's, which the server creates at start-up (admin/console-client.ts).
    return (db.prepare("select count(*) as n from clients where client_id <> 'tessera-console'").get() as { n: number }).n;
  } catch {
    return 0; // the table itself has not reached the file yet
  } finally {
    db.close();
    rmSync(copy, { force: true });
  }
}

describe('worker programs in the build', () => {
  for (const [name, entry] of Object.entries(ENTRIES)) {
    it(`${name}: serve runs the signing thread and the checkpoint thread`, async () => {
      const dataDir = join(dir, name.replace(' ', '-'));
      const doc = join(dir, `${name.replace(' ', '-')}.json`);
      writeFileSync(doc, JSON.stringify({ clients: [{ client_id: 'app', client_secret: 'workers-secret-1', grant_types: ['client_credentials'], scope: 'read' }] }));
      const child = spawn(process.execPath, [LAUNCHER, pathToFileURL(resolve(entry)).href, 'serve', '--port', '0', '--host', '127.0.0.1', '--workers', '1', '--data-dir', dataDir, '--import', doc], {
        // EdDSA: the thread loads libsodium from where its program sits, when the addon is installed.
        env: { ...process.env, TESSERA_LOG_LEVEL: 'info', TESSERA_SIGNING_THREAD: 'true', TESSERA_SIGNING_ALG: 'EdDSA' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((done) => child.on('close', done));
      try {
        const serving = await new Promise<{ url: string; signing: { thread: boolean } }>((done, fail) => {
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            const line = out.split('\n').find((l) => l.includes('"Tessera is serving"'));
            if (line && out.includes('created the first signing key')) done(JSON.parse(line) as { url: string; signing: { thread: boolean } });
          });
          child.on('close', () => fail(new Error(`serve exited early: ${out}`)));
        });
        expect(serving.signing.thread).toBe(true);

        // Overlapping requests, so that batches go to the thread.
        const answers = await Promise.all(
          Array.from({ length: 200 }, () =>
            fetch(`${serving.url}/oauth/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + Buffer.from('app:workers-secret-1').toString('base64') },
              body: 'grant_type=client_credentials',
            }).then(async (r) => ({ status: r.status, body: (await r.json()) as { access_token: string } })),
          ),
        );
        const jwks = createLocalJWKSet((await (await fetch(`${serving.url}/.well-known/jwks.json`)).json()) as never);
        for (const a of answers) {
          expect(a.status).toBe(200);
          await jwtVerify(a.body.access_token, jwks);
        }

        // The import was written by the serving connection, into the WAL; only a checkpoint puts it in the file
        // (the serving connection itself would not checkpoint before the WAL holds 1,000 pages).
        await vi.waitFor(() => expect(clientsInMainFile(join(dataDir, 'tessera.db'))).toBe(1), { timeout: 10_000, interval: 50 });
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      expect(out).not.toMatch(/signing thread (did not start|stopped|failed a batch|cannot sign)/);
    });
  }
});
