import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { runStoreConformance } from './store-conformance.js';

runStoreConformance('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-conformance-'));
  const store = await openSqliteStore(join(dir, 'tessera.db'));
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
