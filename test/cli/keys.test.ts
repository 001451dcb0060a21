import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

/** `tessera keys retire`, run in-process against a private data dir. */
const dir = mkdtempSync(join(tmpdir(), 'tessera-keys-'));
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
const json = async (args: string[]) => JSON.parse(await run([...args, '--json'])) as Record<string, unknown>;

describe('tessera keys retire', () => {
  it('retires one of two active keys, refuses the only active one, a retired one and an unknown one', async () => {
    const a = await json(['keys', 'rotate', '--alg', 'EdDSA']);
    // A second active key, as an operator's import of a key would leave (rotation retires the others).
    const store = await openSqliteStore(join(dir, 'tessera.db'));
    const extra = { kid: 'extra-key', alg: 'ES256' as const, publicJwk: { kty: 'EC', kid: 'extra-key' }, privateKeyEncrypted: 'v1.sealed.x', status: 'active' as const, retiredAt: null, publishUntil: null };
    await store.keys.insert(extra);
    await store.close();

    const retired = await json(['keys', 'retire', 'extra-key']);
    expect(retired).toMatchObject({ kid: 'extra-key', status: 'retired' });
    expect(typeof retired.published_until).toBe('string');
    await expect(run(['keys', 'retire', 'extra-key'])).rejects.toThrow(/already retired/);
    await expect(run(['keys', 'retire', a.kid as string])).rejects.toThrow(/only active key; rotate instead/);
    await expect(run(['keys', 'retire', 'nope'])).rejects.toThrow(/no signing key nope/);
  });
});
