import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { verifySecret } from '../../src/crypto/password-hash.js';

/** `tessera user ...` as operators run it: the built CLI (run `npm run build` first) in a child process. */
const BIN = resolve('bin/tessera.js');
const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-users-'));
const dataDir = join(dir, 'data');
const d = ['--data-dir', dataDir];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tessera(args: string[], stdin?: string): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TESSERA_LOG_LEVEL: 'silent' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

async function json<T = Record<string, unknown>>(args: string[], stdin?: string): Promise<T> {
  const r = await tessera([...args, ...d, '--json'], stdin);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

let server: RunningServer | undefined;
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function storeHash(username: string): Promise<string | null> {
  const store = await openSqliteStore(join(dataDir, 'tessera.db'));
  try {
    return (await store.users.getByUsername(username))?.passwordHash ?? null;
  } finally {
    await store.close();
  }
}

describe('tessera user', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    expect((await tessera(['migrate', ...d])).code).toBe(0);
  });

  it('create with --password stores only an argon2id hash; show and list never print it', async () => {
    const created = await json(['user', 'create', '--username', 'Ada', '--password', 'first password', '--scope', 'read write', '--email', 'ada@example.com', '--email-verified', '--id', 'u-ada']);
    expect(created).toMatchObject({ id: 'u-ada', username: 'Ada', status: 'active', scope: 'read write', email: 'ada@example.com', email_verified: true, has_password: true });
    expect(created.password).toBeUndefined();
    const hash = await storeHash('ada');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(await verifySecret(hash!, 'first password')).toBe(true);
    const shown = await tessera(['user', 'show', 'ADA', ...d]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('u-ada');
    for (const out of [shown.stdout, JSON.stringify(await json(['user', 'show', 'u-ada'])), JSON.stringify(await json(['user', 'list']))]) {
      expect(out).not.toContain('argon2');
      expect(out).not.toContain('first password');
    }
  });

  it('create without a password generates one and prints it once', async () => {
    const r = await tessera(['user', 'create', '--username', 'gen', ...d]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('shown only once');
    const password = /^password\s+(\S+)$/m.exec(r.stdout)?.[1];
    expect(password).toBeDefined();
    expect(await verifySecret((await storeHash('gen'))!, password!)).toBe(true);
    expect((await json(['user', 'show', 'gen'])).password).toBeUndefined();
  });

  it('create reads --password-stdin (one trailing newline is not part of it)', async () => {
    await json(['user', 'create', '--username', 'piped', '--password-stdin'], 'from stdin pass\n');
    expect(await verifySecret((await storeHash('piped'))!, 'from stdin pass')).toBe(true);
  });

  it('refuses a duplicate username (case-insensitively), short passwords and bad scopes', async () => {
    const dup = await tessera(['user', 'create', '--username', 'ADA', '--password', 'long enough', ...d]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/ada/i);
    expect((await tessera(['user', 'create', '--username', 'x', '--password', 'short', ...d])).code).toBe(2);
    expect((await tessera(['user', 'create', '--username', 'y', '--password', 'long enough', '--scope', 'bad"scope', ...d])).code).toBe(2);
    expect((await tessera(['user', 'create', '--username', 'z', '--password', 'long enough', '--password-stdin', ...d], 'other one')).code).toBe(2);
    expect((await tessera(['user', 'show', 'nobody', ...d])).code).toBe(1);
  });

  it('list pages by username', async () => {
    const all = await json<Array<{ username: string }>>(['user', 'list']);
    expect(all.map((u) => u.username)).toEqual(['Ada', 'gen', 'piped']);
    const page = await json<Array<{ username: string }>>(['user', 'list', '--after', 'ada', '--limit', '1']);
    expect(page.map((u) => u.username)).toEqual(['gen']);
  });

  describe('against a running server', () => {
    const post = async (form: Record<string, string>) => {
      const res = await fetch(server!.url + '/oauth/token', { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const login = (password: string) => post({ grant_type: 'password', client_id: 'app', username: 'ada', password });

    beforeAll(async () => {
      const r = await tessera(['client', 'create', '--id', 'app', '--auth-method', 'none', '--grant', 'password,refresh_token', '--scope', 'read write', ...d]);
      expect(r.code, r.stderr).toBe(0);
      server = await startServer(loadConfig({ port: '0', host: '127.0.0.1', dataDir }, { TESSERA_LOG_LEVEL: 'silent', TESSERA_CACHE_SYNC_INTERVAL_MS: '50' }), { logger: pino({ level: 'silent' }) });
    });

    it('disable stops the refresh tokens and logins; enable lets the user log in again', async () => {
      const first = await login('first password');
      expect(first.status).toBe(200);
      const disabled = await json(['user', 'disable', 'ada']);
      expect(disabled).toMatchObject({ status: 'disabled', revoked_refresh_token_families: 1 });
      const r = await post({ grant_type: 'refresh_token', client_id: 'app', refresh_token: first.body.refresh_token as string });
      expect(r.body.error).toBe('invalid_grant');
      await expect.poll(async () => (await login('first password')).status, { timeout: 10_000, interval: 100 }).toBe(400);
      expect((await json(['user', 'enable', 'ada'])).status).toBe('active');
      await expect.poll(async () => (await login('first password')).status, { timeout: 10_000, interval: 100 }).toBe(200);
    });

    it('set-password replaces the password and signs the user out', async () => {
      const before = await login('first password');
      const r = await json(['user', 'set-password', 'ada', '--password-stdin'], 'second password');
      expect(r).toMatchObject({ id: 'u-ada', revoked_refresh_token_families: expect.any(Number) });
      expect((await post({ grant_type: 'refresh_token', client_id: 'app', refresh_token: before.body.refresh_token as string })).body.error).toBe('invalid_grant');
      await expect.poll(async () => (await login('second password')).status, { timeout: 10_000, interval: 100 }).toBe(200);
      expect((await login('first password')).status).toBe(400);
    });

    it('delete removes the user and their refresh tokens stop working', async () => {
      const before = await login('second password');
      expect(await json(['user', 'delete', 'Ada'])).toEqual({ deleted: 'u-ada', username: 'Ada' });
      expect((await post({ grant_type: 'refresh_token', client_id: 'app', refresh_token: before.body.refresh_token as string })).body.error).toBe('invalid_grant');
      await expect.poll(async () => (await login('second password')).status, { timeout: 10_000, interval: 100 }).toBe(400);
      expect((await tessera(['user', 'show', 'ada', ...d])).code).toBe(1);
    });
  });
});
