import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/types.js';

/** A fresh SQLite store per test (in a private temporary directory, removed afterwards). */
export function useTempStore(): { readonly store: Store } {
  let dir = '';
  const holder = { store: undefined as unknown as Store };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
    holder.store = await openSqliteStore(join(dir, 't.db'));
  });
  afterEach(async () => {
    await holder.store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return holder;
}
