import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMasterKey, loadMasterKey } from '../../src/keys/master-key.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-mk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('master key', () => {
  it('decodes 32 bytes as hex or base64/base64url, nothing else', () => {
    const raw = Buffer.alloc(32, 7);
    expect(decodeMasterKey(raw.toString('hex'))).toEqual(raw);
    expect(decodeMasterKey(raw.toString('base64'))).toEqual(raw);
    expect(decodeMasterKey(raw.toString('base64url'))).toEqual(raw);
    expect(decodeMasterKey(' ' + raw.toString('hex') + '\n')).toEqual(raw);
    expect(decodeMasterKey('short')).toBeUndefined();
    expect(decodeMasterKey(Buffer.alloc(31).toString('hex'))).toBeUndefined();
  });

  it('TESSERA_MASTER_KEY wins and must be valid', () => {
    const k = Buffer.alloc(32, 1).toString('hex');
    expect(loadMasterKey(k, join(dir, 'env'))).toMatchObject({ source: 'env', created: false });
    expect(() => loadMasterKey('nope', dir)).toThrow(/TESSERA_MASTER_KEY/);
  });

  it('creates a 0600 key file on first use and reads the same key afterwards', () => {
    const d = join(dir, 'file');
    const first = loadMasterKey(undefined, d);
    expect(first).toMatchObject({ source: 'file', created: true, path: join(d, 'master.key') });
    expect(statSync(first.path!).mode & 0o777).toBe(0o600);
    const second = loadMasterKey(undefined, d);
    expect(second.created).toBe(false);
    expect(second.key.equals(first.key)).toBe(true);
    expect(decodeMasterKey(readFileSync(first.path!, 'utf8'))!.equals(first.key)).toBe(true);
  });

  it('a corrupt key file is an error naming the file', () => {
    const d = join(dir, 'corrupt');
    loadMasterKey(undefined, d);
    writeFileSync(join(d, 'master.key'), 'not a key');
    expect(() => loadMasterKey(undefined, d)).toThrow(/master\.key/);
  });
});
