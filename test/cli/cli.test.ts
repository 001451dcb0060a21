import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { verifySecret } from '../../src/crypto/password-hash.js';

/**
 * The `tessera` command as users run it: the built CLI (dist/, compiled by `npm install`'s prepare script or
 * `npm run build`) in a child process, against a private data dir.
 */
const BIN = resolve('bin/tessera.js');
const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
const dataDir = join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tessera(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TESSERA_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const d = ['--data-dir', dataDir];

async function json<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const r = await tessera([...args, ...d, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

describe('tessera serve', () => {
  it('--import applies a document, prints where the data and the master key file are, serves tokens, stops on SIGTERM', async () => {
    const serveDir = join(dir, 'serve-data');
    const doc = join(dir, 'serve-doc.json');
    writeFileSync(doc, JSON.stringify({ clients: [{ client_id: 'served', client_secret: 'served-secret', grant_types: ['client_credentials'], scope: 'read' }] }));
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', serveDir, '--import', doc], { env: { ...process.env, TESSERA_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<number | null>((done) => child.on('close', done));
    try {
      const url = await new Promise<string>((done, fail) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
          if (m && out.includes('created the first signing key')) done(m[1]!);
        });
        child.on('close', () => fail(new Error(`serve exited early: ${out}`)));
      });
      expect(out).toContain(join(serveDir, 'tessera.db'));
      expect(out).toContain(join(serveDir, 'master.key'));
      const res = await fetch(`${url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + Buffer.from('served:served-secret').toString('base64') },
        body: 'grant_type=client_credentials',
      });
      expect(res.status).toBe(200);
      expect(out).not.toContain('served-secret');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

describe('tessera CLI', () => {
  it('--help lists the commands; unknown commands exit 2', async () => {
    const r = await tessera(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['serve', 'migrate', 'client', 'keys', 'import']) expect(r.stdout).toContain(c);
    expect((await tessera(['client', '--help'])).stdout).toMatch(/create[\s\S]*list[\s\S]*show[\s\S]*update[\s\S]*delete[\s\S]*rotate-secret/);
    expect((await tessera(['no-such-command'])).code).toBe(2);
  });

  it('migrate creates and migrates the database', async () => {
    const r = await tessera(['migrate', ...d]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(join(dataDir, 'tessera.db'));
    expect((await tessera(['migrate', ...d, '--json'])).code).toBe(0);
  });

  it('client create prints the secret once (text), stores only its hash', async () => {
    const r = await tessera(['client', 'create', '--id', 'text-client', '--scope', 'read write', ...d]);
    expect(r.code, r.stderr).toBe(0);
    const secret = /client_secret\s+(\S+)/.exec(r.stdout)?.[1];
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.stderr).toMatch(/only once/);
    const store = await openSqliteStore(join(dataDir, 'tessera.db'));
    try {
      const c = (await store.clients.get('text-client'))!;
      expect(c.secretHash).toMatch(/^\$argon2id\$/);
      expect(await verifySecret(c.secretHash!, secret!)).toBe(true);
    } finally {
      await store.close();
    }
    const show = await tessera(['client', 'show', 'text-client', ...d]);
    expect(show.stdout).not.toContain(secret);
    expect(show.stdout).not.toContain('argon2');
  });

  it('client create --json, list, show, update, rotate-secret, delete', async () => {
    const created = await json(['client', 'create', '--id', 'json-client', '--scope', 'a b', '--default-scope', 'a', '--ttl', '600', '--grant', 'client_credentials']);
    expect(created).toMatchObject({ client_id: 'json-client', scope: 'a b', default_scope: 'a', access_token_ttl: 600, grant_types: ['client_credentials'], has_secret: true });
    expect(typeof created.client_secret).toBe('string');

    const list = await json<Array<Record<string, unknown>>>(['client', 'list']);
    expect(list.map((c) => c.client_id)).toEqual(expect.arrayContaining(['json-client', 'text-client']));
    for (const c of list) expect(c).not.toHaveProperty('client_secret');
    const text = await tessera(['client', 'list', ...d]);
    expect(text.stdout).toMatch(/^json-client\tactive\t/m);

    expect(await json(['client', 'show', 'json-client'])).not.toHaveProperty('client_secret');
    const updated = await json(['client', 'update', 'json-client', '--scope', 'a b c', '--status', 'disabled', '--name', 'Renamed']);
    expect(updated).toMatchObject({ scope: 'a b c', status: 'disabled', name: 'Renamed', default_scope: 'a', access_token_ttl: 600 });

    const rotated = await json(['client', 'rotate-secret', 'json-client']);
    expect(rotated.client_secret).not.toBe(created.client_secret);
    const store = await openSqliteStore(join(dataDir, 'tessera.db'));
    try {
      const hash = (await store.clients.get('json-client'))!.secretHash!;
      expect(await verifySecret(hash, rotated.client_secret as string)).toBe(true);
      expect(await verifySecret(hash, created.client_secret as string)).toBe(false);
    } finally {
      await store.close();
    }

    expect(await json(['client', 'delete', 'json-client'])).toEqual({ deleted: 'json-client' });
    const gone = await tessera(['client', 'show', 'json-client', ...d]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/no client json-client/);
  });

  it('client commands refuse invalid input with exit 2 and a message naming it', async () => {
    const bad = await tessera(['client', 'create', '--id', 'x', '--scope', 'read', '--default-scope', 'write', ...d]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/default_scope/);
    expect((await tessera(['client', 'create', '--ttl', 'soon', ...d])).stderr).toMatch(/--ttl/);
    expect((await tessera(['client', 'update', 'text-client', '--auth-method', 'magic', ...d])).code).toBe(2);
    const dup = await tessera(['client', 'create', '--id', 'text-client', ...d]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists/);
  });

  it('keys list and keys rotate (per algorithm); the retired key shows its publication end', async () => {
    const first = await json(['keys', 'rotate', '--alg', 'EdDSA']);
    expect(first).toMatchObject({ alg: 'EdDSA', status: 'active' });
    const second = await json(['keys', 'rotate', '--alg', 'RS256']);
    const list = await json<Array<Record<string, unknown>>>(['keys', 'list']);
    expect(list[0]).toMatchObject({ kid: second.kid, alg: 'RS256', status: 'active' });
    const retired = list.find((k) => k.kid === first.kid)!;
    expect(retired.status).toBe('retired');
    expect(typeof retired.published_until).toBe('string');
    for (const k of list) expect(Object.keys(k).join(' ')).not.toMatch(/private|encrypted/);
    expect((await tessera(['keys', 'rotate', '--alg', 'HS256', ...d])).code).toBe(2);
  });

  it('keys (the schedule, its default): current key, next key when rotation is on, retired keys and when they leave the JWKS', async () => {
    const plain = await tessera(['keys', ...d]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^rotation\toff \(keys.rotateEvery not set\)$/m);
    expect(plain.stdout).toMatch(/^current\t\S+\t\w+\tsigning since \d{4}-/m);
    expect(plain.stdout).toMatch(/^retired\t\S+\t\w+\tin the JWKS until \d{4}-/m);
    const on = await tessera(['keys', 'schedule', ...d, '--json'], { TESSERA_KEYS_ROTATE_EVERY: '30d' });
    expect(on.code, on.stderr).toBe(0);
    const schedule = JSON.parse(on.stdout) as Record<string, Record<string, unknown>>;
    expect(schedule.rotation).toEqual({ enabled: true, rotate_every: '30d', pre_publish: '1h' });
    expect(schedule.next).toMatchObject({ published: false });
    expect(Date.parse(schedule.next!.activates_at as string) - Date.parse(schedule.current!.activates_at as string)).toBe(30 * 86_400_000);
    const text = await tessera(['keys', ...d], { TESSERA_KEYS_ROTATE_EVERY: '30d' });
    expect(text.stdout).toMatch(/^rotation\tevery 30d, published 1h before it signs$/m);
    expect(text.stdout).toMatch(/^next\t\(not yet published\)\tpublished at \S+, signs from \S+$/m);
    const bad = await tessera(['keys', ...d], { TESSERA_KEYS_ROTATE_EVERY: '1h' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/keys.prePublish: must be shorter than keys.rotateEvery/);
  });

  it('import applies a document idempotently and rejects an invalid one whole with JSON paths', async () => {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ clients: [{ client_id: 'imported', client_secret: 'imported-secret', grant_types: ['client_credentials'], scope: 'read' }] }));
    expect((await json(['import', good])).clients).toEqual({ created: 1, updated: 0 });
    expect((await json(['import', good])).clients).toEqual({ created: 0, updated: 0 });

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ clients: [{ client_id: 'never', client_secret: 'never-secret', grant_types: ['client_credentials'], scope: 'read' }, { client_id: 'x', grant_types: 'no', scope: 1 }] }));
    const r = await tessera(['import', bad, ...d]);
    // Invalid input exits 2 like every other command's (docs/cli.md, "Errors and exit codes").
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\$\.clients\[1\]\.grant_types/);
    expect(r.stderr).toMatch(/\$\.clients\[1\]\.scope/);
    expect((await tessera(['client', 'show', 'never', ...d])).code).toBe(1);
  });
});
