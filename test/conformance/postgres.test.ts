import { describe, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL } from '../support/services.js';
import { runStoreConformance } from './store-conformance.js';

// Decided at collection time: the suite runs against a private database, or prints SKIPPED (a failure in CI).
const available = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);

if (available) {
  runStoreConformance('PostgreSQL', async () => {
    const db = await createTestDatabase();
    const store = await openPostgresStore(db.url, { poolSize: 10 });
    return {
      store,
      async cleanup() {
        await store.close();
        await db.drop();
      },
    };
  });
} else {
  describe.skip('Store conformance: PostgreSQL (not answering)', () => {
    it('runs when PostgreSQL answers', () => undefined);
  });
}
