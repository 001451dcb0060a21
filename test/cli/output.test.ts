import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { BIN, runCli } from '../support/cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-output-'));
const d = ['--data-dir', join(dir, 'data')];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function out(args: string[]): Promise<string> {
  const r = await runCli([...args, ...d]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('list commands: a header row, or one clear line when empty', { timeout: 120_000 }, () => {
  it('empty lists say so; --json prints []', async () => {
    expect(await out(['client', 'list'])).toBe('No clients.\n');
    expect(await out(['user', 'list'])).toBe('No users.\n');
    expect(await out(['org', 'list'])).toBe('No organizations.\n');
    expect(await out(['install', 'list'])).toBe('No installations.\n');
    expect(await out(['idp', 'list'])).toBe('No identity providers.\n');
    expect(await out(['keys', 'list'])).toMatch(/^No signing keys/);
    expect(JSON.parse(await out(['client', 'list', '--json']))).toEqual([]);
  });

  it('non-empty lists start with the header row, tab-separated', async () => {
    await out(['client', 'create', '--id', 'c1', '--grant', 'client_credentials', '--scope', 'a b']);
    expect((await out(['client', 'list'])).split('\n').slice(0, 2)).toEqual(['CLIENT_ID\tSTATUS\tAUTH_METHOD\tGRANT_TYPES\tSCOPE', 'c1\tactive\tclient_secret_basic\tclient_credentials\ta b']);
    await out(['org', 'create', '--id', 'acme', '--name', 'Acme']);
    expect(await out(['org', 'list'])).toBe('ID\tSTATUS\tNAME\nacme\tactive\tAcme\n');
    await out(['keys', 'rotate']);
    expect((await out(['keys', 'list'])).split('\n')[0]).toBe('KID\tALG\tSTATUS\tCREATED_AT\tSIGNS_FROM\tPUBLISHED_UNTIL');
  });

  it('user list and user show agree on a scope without user-level restriction', async () => {
    await out(['user', 'create', '--username', 'ada']);
    await out(['user', 'create', '--username', 'bob', '--scope', 'read']);
    const list = (await out(['user', 'list'])).trim().split('\n');
    expect(list[0]).toBe('ID\tUSERNAME\tSTATUS\tSCOPE');
    expect(list.find((l) => l.includes('\tada\t'))).toMatch(/\tactive\t\*$/);
    expect(list.find((l) => l.includes('\tbob\t'))).toMatch(/\tactive\tread$/);
    expect(await out(['user', 'show', 'ada'])).toMatch(/^scope\s+\*$/m);
    expect(await out(['user', 'show', 'bob'])).toMatch(/^scope\s+read$/m);
    // JSON keeps null in both (as the admin API does).
    expect(JSON.parse(await out(['user', 'show', 'ada', '--json']))).toMatchObject({ scope: null });
    expect((JSON.parse(await out(['user', 'list', '--json'])) as Array<{ username: string; scope: unknown }>).find((u) => u.username === 'ada')).toMatchObject({ scope: null });
  });
});

describe('a reader that stops early', { timeout: 60_000 }, () => {
  it('`client list | head -1` ends quietly, without an EPIPE stack trace', async () => {
    for (let i = 0; i < 3; i++) await out(['client', 'create', '--id', `pipe-${i}`]);
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" client show pipe-0 --data-dir "${d[1]}" | head -c 1`], { encoding: 'utf8', env: { ...process.env, TESSERA_LOG_LEVEL: 'silent' } });
    expect(r.stdout).toBe('c');
    expect(r.stderr).toBe('');
  });
});
