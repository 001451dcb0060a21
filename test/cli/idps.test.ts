import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { CliError } from '../../src/cli/output.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-idp-cli-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await (await buildProgram()).parseAsync([...args, '--data-dir', dir], { from: 'user' });
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

async function stored(name: string) {
  const store = await openSqliteStore(join(dir, 'tessera.db'));
  try {
    return await store.identityProviders.get(name);
  } finally {
    await store.close();
  }
}

describe('tessera idp', () => {
  it('adds an oidc provider from flags, lists, shows and removes it', async () => {
    const added = JSON.parse(
      await run('idp', 'add', '--name', 'google', '--type', 'oidc', '--issuer', 'https://accounts.google.com', '--jwks-uri', 'https://www.googleapis.com/oauth2/v3/certs', '--audience', 'x.apps.googleusercontent.com', '--auto-provision', '--json'),
    ) as Record<string, unknown>;
    expect(added).toMatchObject({ name: 'google', type: 'oidc', issuer: 'https://accounts.google.com', audiences: ['x.apps.googleusercontent.com'], auto_provision: true });
    const list = JSON.parse(await run('idp', 'list', '--json')) as Array<Record<string, unknown>>;
    expect(list.map((p) => p.name)).toEqual(['google']);
    expect(await run('idp', 'list')).toContain('google\toidc\thttps://accounts.google.com');
    expect(JSON.parse(await run('idp', 'show', 'google', '--json'))).toMatchObject({ name: 'google' });
    expect(JSON.parse(await run('idp', 'remove', 'google', '--json'))).toEqual({ removed: 'google' });
    expect(await stored('google')).toBeUndefined();
    await expect(run('idp', 'remove', 'google')).rejects.toBeInstanceOf(CliError);
  });

  it('adds a facebook provider from --config-json (@file) with its app token sealed', async () => {
    const file = join(dir, 'fb.json');
    writeFileSync(file, JSON.stringify({ type: 'introspection', format: 'facebook', endpoint: 'https://graph.facebook.com/debug_token', app_id: '123', app_token: '123|very-secret' }));
    const shown = await run('idp', 'add', '--name', 'facebook', '--config-json', `@${file}`, '--json');
    expect(shown).not.toContain('very-secret');
    expect(JSON.parse(shown)).toMatchObject({ app_token: '(sealed)', app_id: '123' });
    const p = await stored('facebook');
    expect(JSON.stringify(p!.config)).not.toContain('very-secret');
    expect(typeof p!.config.app_token_sealed).toBe('string');
  });

  it('links a subject to an existing user and lists the links', async () => {
    await run('idp', 'add', '--name', 'partner', '--type', 'jwt_bearer', '--issuer', 'https://partner.example', '--jwks-uri', 'https://partner.example/jwks');
    const store = await openSqliteStore(join(dir, 'tessera.db'));
    try {
      await store.users.create({ id: 'u-1', username: 'ada', passwordHash: null, status: 'active', scope: null, email: null, emailVerified: false });
    } finally {
      await store.close();
    }
    expect(JSON.parse(await run('idp', 'link', 'partner', 'p-42', 'ada', '--json'))).toEqual({ provider: 'partner', subject: 'p-42', user_id: 'u-1', username: 'ada' });
    expect(JSON.parse(await run('idp', 'links', 'ada', '--json'))).toEqual([expect.objectContaining({ provider: 'partner', subject: 'p-42' })]);
    await expect(run('idp', 'link', 'partner', 'p-42', 'ada')).rejects.toThrow(/already linked/);
    await expect(run('idp', 'link', 'nope', 'p-1', 'ada')).rejects.toThrow(/no identity provider/);
    await expect(run('idp', 'link', 'partner', 'p-1', 'nobody')).rejects.toThrow(/no user/);
  });

  it('refuses an invalid config with its problems, exit code 2, and stores nothing', async () => {
    const err = await run('idp', 'add', '--name', 'bad', '--type', 'oidc', '--issuer', 'http://idp.example.com', '--jwks-uri', 'https://idp.example.com/jwks').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as CliError).message).toMatch(/\$\.issuer: must be an https URL/);
    expect((err as CliError).message).toMatch(/\$\.audiences/);
    expect(await stored('bad')).toBeUndefined();
  });
});
