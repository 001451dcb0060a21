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

describe('tessera org / install: --metadata (parsed as client --metadata is)', () => {
  const refusal = async (args: string[]): Promise<CliError> => {
    const err = await run(args).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    return err as CliError;
  };
  const stored = () => withStore(async (store) => ({ org: await store.organizations.get('meta'), inst: await store.installations.find('meta', 'meta-app') }));

  it('org create and update take --metadata as JSON or key=value, repeatable; update replaces the object whole', async () => {
    const created = await json(['org', 'create', '--id', 'meta', '--name', 'Meta', '--metadata', '{"tier":"gold"}', '--metadata', 'seats=5', '--metadata', 'region=eu west']);
    expect(created).toMatchObject({ id: 'meta', metadata: { tier: 'gold', seats: 5, region: 'eu west' } });
    expect(await json(['org', 'show', 'meta'])).toMatchObject({ metadata: { tier: 'gold', seats: 5, region: 'eu west' } });
    expect(await json(['org', 'update', 'meta', '--metadata', 'tier=silver'])).toMatchObject({ name: 'Meta', metadata: { tier: 'silver' } });
    expect(await json(['org', 'update', 'meta', '--name', 'Meta Corp'])).toMatchObject({ name: 'Meta Corp', metadata: { tier: 'silver' } });
    expect((await stored()).org!.metadata).toEqual({ tier: 'silver' });
  });

  it('install create and update take --metadata; update changes scope, metadata or both', async () => {
    await run(['client', 'create', '--id', 'meta-app', '--grant', 'org_implicit', '--scope', 'wallet:read wallet:write', '--secret', 'app-secret-1234']);
    const inst = await json(['install', 'create', '--org', 'meta', '--client', 'meta-app', '--scope', 'wallet:read', '--metadata', 'plan=pro']);
    expect(inst).toMatchObject({ scope: 'wallet:read', metadata: { plan: 'pro' } });
    const id = inst.id as string;
    expect(await json(['install', 'update', id, '--scope', 'wallet:read wallet:write'])).toMatchObject({ scope: 'wallet:read wallet:write', metadata: { plan: 'pro' } });
    expect(await json(['install', 'update', id, '--metadata', '{"plan":"team","seats":3}'])).toMatchObject({ scope: 'wallet:read wallet:write', metadata: { plan: 'team', seats: 3 } });
    expect(await json(['install', 'update', id, '--scope', 'wallet:read', '--metadata', 'plan=free'])).toMatchObject({ scope: 'wallet:read', metadata: { plan: 'free' } });
    expect(await json(['install', 'show', id])).toMatchObject({ metadata: { plan: 'free' } });
    const nothing = await refusal(['install', 'update', id]);
    expect(nothing.exitCode).toBe(2);
    expect(nothing.message).toBe('give --scope or --metadata');
    expect((await refusal(['org', 'update', 'meta'])).message).toBe('give --name or --metadata');
  });

  it('refuses a malformed --metadata as client --metadata does, and metadata out of bounds with its message; nothing written', async () => {
    for (const args of [['org', 'update', 'meta'], ['install', 'create', '--org', 'meta', '--client', 'meta-app', '--scope', '']]) {
      const plain = await refusal([...args, '--metadata', 'plain']);
      expect(plain.exitCode).toBe(2);
      expect(plain.message).toBe('--metadata must be a JSON object or key=value');
      expect((await refusal([...args, '--metadata', '{oops'])).message).toBe('--metadata is not valid JSON');
    }
    const deep = await refusal(['org', 'update', 'meta', '--metadata', '{"a":{"b":{"c":{"d":{"e":1}}}}}']);
    expect(deep.exitCode).toBe(2);
    expect(deep.message).toContain('metadata: must be nested at most 4 levels deep');
    const instId = (await stored()).inst!.id;
    const big = await refusal(['install', 'update', instId, '--metadata', `big=${'x'.repeat(5000)}`]);
    expect(big.message).toMatch(/metadata: must be at most 4096 bytes as JSON \(is \d+\)/);
    const many = await refusal(['org', 'create', '--id', 'many', '--name', 'Many', ...Array.from({ length: 65 }, (_, i) => ['--metadata', `k${i}=${i}`]).flat()]);
    expect(many.message).toContain('metadata: must have at most 64 keys in all (has 65)');
    const { org, inst } = await stored();
    expect(org!.metadata).toEqual({ tier: 'silver' });
    expect(inst!.metadata).toEqual({ plan: 'free' });
    await expect(run(['org', 'show', 'many'])).rejects.toThrow(/no organization/);
  });
});
