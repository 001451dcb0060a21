import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { classify } from '../../src/cli/errors.js';
import { CliError } from '../../src/cli/output.js';
import { ConfigError } from '../../src/config.js';
import { AdminConflictError, AdminNotFoundError, AdminValidationError } from '../../src/admin/problems.js';
import { runCli } from '../support/cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-errors-'));
const d = ['--data-dir', join(dir, 'data')];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('classify: the exit-code table of docs/cli.md', () => {
  it('maps every failure to its code and kind', () => {
    expect(classify(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"))).toEqual({ exitCode: 2, error: 'usage', message: "unknown option '--x'" });
    expect(classify(new ConfigError('bad port'))).toMatchObject({ exitCode: 2, error: 'config' });
    expect(classify(new CliError('--ttl must be a non-negative integer', 2))).toMatchObject({ exitCode: 2, error: 'usage' });
    expect(classify(new AdminValidationError([{ path: 'scope', message: 'bad' }]))).toEqual({ exitCode: 2, error: 'invalid', message: 'scope: bad', problems: [{ path: 'scope', message: 'bad' }] });
    expect(classify(new AdminNotFoundError('no client x'))).toMatchObject({ exitCode: 1, error: 'not_found' });
    expect(classify(new AdminConflictError('already'))).toMatchObject({ exitCode: 1, error: 'conflict' });
    expect(classify(new Error('boom'))).toEqual({ exitCode: 1, error: 'failed', message: 'boom' });
    expect(classify('odd')).toEqual({ exitCode: 1, error: 'failed', message: 'odd' });
  });
});

describe('--json errors: one JSON object on stderr, nothing on stdout', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    expect((await runCli(['client', 'create', '--id', 'c1', ...d])).code).toBe(0);
  });

  const cases: Array<[string, string[], number, string]> = [
    ['unknown command', ['client', 'frobnicate', '--json'], 2, 'usage'],
    ['unknown option', ['client', 'list', '--frob', '--json', ...d], 2, 'usage'],
    ['bad flag value', ['client', 'create', '--ttl', 'soon', '--json', ...d], 2, 'usage'],
    ['invalid input', ['client', 'create', '--grant', 'bogus', '--json', ...d], 2, 'invalid'],
    ['not found', ['client', 'show', 'nope', '--json', ...d], 1, 'not_found'],
    ['conflict', ['client', 'create', '--id', 'c1', '--json', ...d], 1, 'conflict'],
    ['invalid configuration', ['client', 'list', '--json', '--database-url', 'mysql://x', ...d], 2, 'config'],
  ];
  for (const [name, args, code, kind] of cases) {
    it(`${name}: exit ${code}, error "${kind}"`, async () => {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      const body = JSON.parse(lines[0]!) as Record<string, unknown>;
      expect(body).toMatchObject({ error: kind, exit_code: code });
      expect(typeof body.message).toBe('string');
      expect(body.message).not.toBe('');
    });
  }

  it('invalid input lists each problem with its field', async () => {
    const r = await runCli(['client', 'create', '--grant', 'bogus', '--json', ...d]);
    expect((JSON.parse(r.stderr) as { problems: unknown }).problems).toEqual([{ path: 'grant_types', message: expect.stringContaining('bogus') }]);
  });

  it('without --json the same failures are one text line and the same exit codes', async () => {
    const r = await runCli(['client', 'show', 'nope', ...d]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tessera: .*nope/);
    expect(() => JSON.parse(r.stderr)).toThrow();
    const u = await runCli(['client', 'list', '--frob', ...d]);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain("unknown option '--frob'");
  });
});
