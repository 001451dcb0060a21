import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { PromptAborted, promptHidden, promptNewPassword, type TtyInput } from '../../src/cli/password-prompt.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { verifySecret } from '../../src/crypto/password-hash.js';
import { BIN, runCli } from '../support/cli-run.js';

/** A terminal stand-in: records the raw-mode switches the prompt makes. */
function fakeTty(): { input: TtyInput & PassThrough; output: PassThrough; written: () => string; modes: boolean[] } {
  const input = new PassThrough() as TtyInput & PassThrough;
  const modes: boolean[] = [];
  input.isTTY = true;
  input.isRaw = false;
  input.setRawMode = (m: boolean) => {
    modes.push(m);
    input.isRaw = m;
    return input;
  };
  const output = new PassThrough();
  let text = '';
  output.on('data', (c: Buffer) => (text += c.toString()));
  return { input, output, written: () => text, modes };
}

describe('promptHidden', () => {
  it('reads a line in raw mode, echoes nothing of it, and restores the mode', async () => {
    const t = fakeTty();
    const p = promptHidden('Password: ', t.input, t.output);
    t.input.write('s3cr');
    t.input.write('et!\r');
    expect(await p).toBe('s3cret!');
    expect(t.modes).toEqual([true, false]);
    expect(t.written()).toBe('Password: \n');
  });

  it('handles backspace and Ctrl-U, and keeps non-ASCII characters whole', async () => {
    const t = fakeTty();
    const p = promptHidden('> ', t.input, t.output);
    t.input.write('wrong\u0015pässx\u007f\n');
    expect(await p).toBe('päss');
  });

  it('Ctrl-C and Ctrl-D on an empty line cancel, and restore the mode', async () => {
    for (const key of ['\u0003', '\u0004']) {
      const t = fakeTty();
      const p = promptHidden('> ', t.input, t.output);
      t.input.write(key);
      await expect(p).rejects.toBeInstanceOf(PromptAborted);
      expect(t.input.isRaw).toBe(false);
    }
  });

  it('promptNewPassword asks twice and refuses two different entries', async () => {
    const t = fakeTty();
    const same = promptNewPassword(t.input, t.output);
    t.input.write('abc-def-ghi-jkl\r');
    await new Promise((r) => setImmediate(r));
    t.input.write('abc-def-ghi-jkl\r');
    expect(await same).toBe('abc-def-ghi-jkl');
    const u = fakeTty();
    const differ = promptNewPassword(u.input, u.output);
    u.input.write('abc-def-ghi-jkl\r');
    await new Promise((r) => setImmediate(r));
    u.input.write('abc-def-ghi-jkX\r');
    await expect(differ).rejects.toThrow(/differ/);
  });
});

// util-linux `script` gives the CLI a real pseudo-terminal, as an operator's shell would.
const hasScript = spawnSync('script', ['--version']).status === 0;

describe.skipIf(!hasScript)('user create --password-stdin on a terminal', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-prompt-'));
  const dataDir = join(dir, 'data');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function onTerminal(args: string[], keys: string[]): Promise<string> {
    return new Promise((done, fail) => {
      const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TESSERA_LOG_LEVEL: 'silent' } });
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        // Type each entry when its prompt shows.
        const prompts = out.match(/New password: |Repeat the password: /g)?.length ?? 0;
        while (keys.length > 0 && prompts > 2 - keys.length) child.stdin.write(keys.shift()!);
      });
      child.on('error', fail);
      child.on('close', () => done(out));
    });
  }

  it('prompts twice without echo and stores the typed password', async () => {
    expect((await runCli(['migrate', '--data-dir', dataDir])).code).toBe(0);
    const out = await onTerminal(['user', 'create', '--username', 'carol', '--password-stdin', '--data-dir', dataDir], ['correct-horse-battery\r', 'correct-horse-battery\r']);
    expect(out).toContain('New password: ');
    expect(out).toContain('Repeat the password: ');
    expect(out).toMatch(/username\s+carol/);
    expect(out).not.toContain('correct-horse');
    const store = await openSqliteStore(join(dataDir, 'tessera.db'));
    try {
      expect(await verifySecret((await store.users.getByUsername('carol'))!.passwordHash!, 'correct-horse-battery')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('two different entries: nothing is created, exit 2', async () => {
    const out = await onTerminal(['user', 'create', '--username', 'dave', '--password-stdin', '--data-dir', dataDir, '--json'], ['first-password-1\r', 'other-password-2\r']);
    expect(out).toContain('"error":"invalid"');
    expect(out).not.toContain('password-1');
    expect((await runCli(['user', 'show', 'dave', '--data-dir', dataDir])).code).toBe(1);
  });
});
