import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MasterKey {
  key: Buffer;
  source: 'env' | 'file';
  /** The key file, when the key came from (or was created in) the data dir. */
  path?: string;
  created: boolean;
}

/** Accepts 32 bytes as hex (64 chars) or base64/base64url (43-44 chars). */
export function decodeMasterKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === 32) return b;
  }
  return undefined;
}

/**
 * The key that seals signing keys at rest: TESSERA_MASTER_KEY when set (required when several nodes share a
 * database), otherwise a 0600 file in the data dir, created on first start.
 */
export function loadMasterKey(envValue: string | undefined, dataDir: string): MasterKey {
  if (envValue !== undefined && envValue !== '') {
    const key = decodeMasterKey(envValue);
    if (!key) throw new Error('TESSERA_MASTER_KEY must be 32 bytes, hex or base64 encoded');
    return { key, source: 'env', created: false };
  }
  const path = join(dataDir, 'master.key');
  if (existsSync(path)) {
    const key = decodeMasterKey(readFileSync(path, 'utf8'));
    if (!key) throw new Error(`The master key file ${path} is not 32 bytes of hex or base64`);
    return { key, source: 'file', path, created: false };
  }
  // Only the service's user may enter the data dir (store/data-files.ts).
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(path, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, source: 'file', path, created: true };
}
