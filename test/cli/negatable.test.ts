import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { runCli } from '../support/cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-negatable-'));
const d = ['--data-dir', join(dir, 'data')];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function walk(cmd: Command, path: string[] = []): Array<{ path: string; longs: Set<string | undefined>; booleans: string[] }> {
  const longs = new Set(cmd.options.map((o) => o.long));
  const booleans = cmd.options.filter((o) => !o.required && !o.optional && !o.negate && o.long !== '--version').map((o) => o.long!);
  return [{ path: path.join(' '), longs, booleans }, ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()]))];
}

describe('every boolean flag can be negated', { timeout: 60_000 }, () => {
  it('each command that has --x also has --no-x', async () => {
    const all = walk(await buildProgram());
    const booleans = all.flatMap((c) => c.booleans.map((b) => `${c.path} ${b}`));
    expect(booleans).toEqual(expect.arrayContaining(['client create --introspect-any', 'client update --introspect-any', 'user create --disabled', 'user set-password --keep-sessions', 'client list --json']));
    for (const c of all) for (const b of c.booleans) expect([c.path, b, c.longs.has(`--no-${b.slice(2)}`)]).toEqual([c.path, b, true]);
  });

  it('--no-introspect-any turns the permission off; --no-disabled creates an active user; --no-json prints text', async () => {
    const on = await runCli(['client', 'create', '--id', 'c1', '--introspect-any', '--json', ...d]);
    expect(on.code, on.stderr).toBe(0);
    expect(JSON.parse(on.stdout)).toMatchObject({ introspect_any: true });
    const off = await runCli(['client', 'update', 'c1', '--no-introspect-any', '--json', ...d]);
    expect(off.code, off.stderr).toBe(0);
    expect(JSON.parse(off.stdout)).toMatchObject({ introspect_any: false });
    // Neither form: the field is left as it is.
    const untouched = await runCli(['client', 'update', 'c1', '--name', 'n', '--json', ...d]);
    expect(JSON.parse(untouched.stdout)).toMatchObject({ introspect_any: false, name: 'n' });

    const active = await runCli(['user', 'create', '--username', 'ada', '--no-disabled', '--no-email-verified', '--json', ...d]);
    expect(active.code, active.stderr).toBe(0);
    expect(JSON.parse(active.stdout)).toMatchObject({ status: 'active', email_verified: false });
    const text = await runCli(['client', 'show', 'c1', '--json', '--no-json', ...d]);
    expect(text.stdout).toMatch(/^client_id\s+c1$/m);
  });
});
