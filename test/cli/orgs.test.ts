import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { CliError } from '../../src/cli/output.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { hashToken } from '../../src/crypto/token-hash.js';

/** `tessera org ...` and `tessera install ...`, run in-process against a private data dir. */
const dir = mkdtempSync(join(tmpdir(), 'tessera-orgs-'));
const d = ['--data-dir', dir];
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function run(args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await (await buildProgram()).parseAsync([...args, ...d], { from: 'user' });
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

const json = async (args: string[]) => JSON.parse(await run([...args, '--json'])) as Record<string, unknown> & Array<Record<string, unknown>>;

async function withStore<T>(fn: (store: Awaited<ReturnType<typeof openSqliteStore>>) => Promise<T>): Promise<T> {
  const store = await openSqliteStore(join(dir, 'tessera.db'));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('tessera org / install', () => {
  let installationId = '';

  it('creates, lists and shows organizations', async () => {
    expect(await json(['org', 'create', '--id', 'acme', '--name', 'Acme'])).toMatchObject({ id: 'acme', name: 'Acme', status: 'active' });
    const generated = await json(['org', 'create', '--name', 'Generated']);
    expect(generated.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await json(['org', 'list'])).map((o) => o.id)).toContain('acme');
    await expect(run(['org', 'create', '--id', 'acme', '--name', 'Again'])).rejects.toThrow(/acme/);
  });

  it('installs a client with approved scopes that the client may hold', async () => {
    await run(['client', 'create', '--id', 'app', '--grant', 'org_implicit,refresh_token', '--scope', 'wallet:read wallet:write', '--secret', 'app-secret-1234']);
    const inst = await json(['install', 'create', '--org', 'acme', '--client', 'app', '--scope', 'wallet:read']);
    expect(inst).toMatchObject({ org_id: 'acme', client_id: 'app', scope: 'wallet:read', status: 'active' });
    installationId = inst.id as string;
    await expect(run(['install', 'create', '--org', 'acme', '--client', 'app', '--scope', 'wallet:read'])).rejects.toThrow(/already installed/);
    await expect(run(['install', 'create', '--org', 'acme', '--client', 'app', '--scope', 'admin'])).rejects.toThrow(CliError);
    await expect(run(['install', 'create', '--org', 'nope', '--client', 'app', '--scope', ''])).rejects.toThrow(/no organization/);
    expect((await json(['install', 'list', '--org', 'acme'])).map((i) => i.id)).toEqual([installationId]);
    expect((await json(['org', 'show', 'acme'])).installations).toEqual([`${installationId} app active [wallet:read]`]);
  });

  it('changes approved scopes', async () => {
    expect(await json(['install', 'update', installationId, '--scope', 'wallet:read wallet:write'])).toMatchObject({ scope: 'wallet:read wallet:write' });
    await expect(run(['install', 'update', installationId, '--scope', 'wallet:admin'])).rejects.toThrow(CliError);
  });

  it('disables and enables an organization', async () => {
    expect(await json(['org', 'disable', 'acme'])).toMatchObject({ status: 'disabled' });
    expect(await json(['org', 'enable', 'acme'])).toMatchObject({ status: 'active' });
    await expect(run(['org', 'disable', 'nope'])).rejects.toThrow(/no organization/);
  });

  it('revoking an installation revokes its refresh-token families at once', async () => {
    await withStore(async (store) => {
      await store.refreshTokens.createFamily(
        { familyId: 'fam-1', clientId: 'app', subject: 'acme', userId: null, orgId: 'acme', installationId, scope: ['wallet:read'], claims: null, createdAt: 1, expiresAt: 4_000_000_000 },
        { hash: hashToken('rt-1'), scope: ['wallet:read'], createdAt: 1, expiresAt: 4_000_000_000 },
      );
    });
    expect(await json(['install', 'revoke', installationId])).toMatchObject({ status: 'revoked' });
    expect((await withStore((store) => store.refreshTokens.find(hashToken('rt-1'))))!.family.status).toBe('revoked');
    await expect(run(['install', 'revoke', installationId])).rejects.toThrow(/already revoked/);
    // Installing again re-activates the same installation; the old family stays revoked.
    expect(await json(['install', 'create', '--org', 'acme', '--client', 'app', '--scope', 'wallet:read'])).toMatchObject({ id: installationId, status: 'active' });
    expect((await withStore((store) => store.refreshTokens.find(hashToken('rt-1'))))!.family.status).toBe('revoked');
  });

  it('deletes an installation (its families revoked) and then an organization; one with installations only with --cascade', async () => {
    await withStore(async (store) => {
      await store.refreshTokens.createFamily(
        { familyId: 'fam-2', clientId: 'app', subject: 'acme', userId: null, orgId: 'acme', installationId, scope: ['wallet:read'], claims: null, createdAt: 1, expiresAt: 4_000_000_000 },
        { hash: hashToken('rt-2'), scope: ['wallet:read'], createdAt: 1, expiresAt: 4_000_000_000 },
      );
    });
    await expect(run(['org', 'delete', 'acme'])).rejects.toThrow(/acme has 1 installation; delete it first, or delete the organization with its installations \(cascade\)/);
    expect(await json(['install', 'delete', installationId])).toEqual({ deleted: installationId });
    expect((await withStore((store) => store.refreshTokens.find(hashToken('rt-2'))))!.family.status).toBe('revoked');
    await expect(run(['install', 'delete', installationId])).rejects.toThrow(/no installation/);
    expect(await run(['org', 'delete', 'acme'])).toBe('deleted acme\n');
    await expect(run(['org', 'show', 'acme'])).rejects.toThrow(/no organization/);
    await expect(run(['org', 'delete', 'acme'])).rejects.toThrow(/no organization/);

    await run(['org', 'create', '--id', 'beta', '--name', 'Beta']);
    const inst = await json(['install', 'create', '--org', 'beta', '--client', 'app', '--scope', 'wallet:read']);
    expect(await json(['org', 'delete', 'beta', '--cascade'])).toEqual({ deleted: 'beta' });
    await expect(run(['install', 'show', inst.id as string])).rejects.toThrow(/no installation/);
    // The client itself stays.
    expect(await json(['client', 'show', 'app'])).toMatchObject({ client_id: 'app' });
  });
});
