import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodicCleanup } from '../../src/http/server.js';
import { eventId } from '../../src/observability/events.js';
import type { StoredEvent } from '../../src/store/types.js';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL, type TestDatabase } from '../support/services.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** events.retentionDays: the periodic cleanup of a running server deletes the events older than it, and only those. */
const pg = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);
const DAY = 86_400_000;

const ev = (time: number, n: number): StoredEvent => ({ id: eventId(time), time, type: 'login.failed', clientId: 'app', subject: `u${n}`, address: null, requestId: null, actor: null, details: {} });

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  describe.skipIf(backend === 'PostgreSQL' && !pg)(`audit event retention (${backend})`, () => {
    let db: TestDatabase | undefined;
    let s: TestServer;
    let clock = Math.floor(Date.now() / 1000);

    beforeAll(async () => {
      db = backend === 'PostgreSQL' ? await createTestDatabase() : undefined;
      s = await startTestServer({ env: { TESSERA_EVENTS_RETENTION_DAYS: '7', ...(db ? { TESSERA_DATABASE_URL: db.url } : {}) }, now: () => clock });
    }, 60_000);
    afterAll(async () => {
      await s?.stop();
      await db?.drop();
    });

    it('deletes what is older than retentionDays at the next cleanup, keeps the rest, and follows the clock', async () => {
      const now = clock * 1000;
      const events = [ev(now - 30 * DAY, 0), ev(now - 7 * DAY - 60_000, 1), ev(now - 7 * DAY + 60_000, 2), ev(now - DAY, 3), ev(now, 4)];
      await s.ctx.store.events.insertMany(events);
      await periodicCleanup(s.ctx);
      expect((await s.ctx.store.events.query({ clientId: 'app' })).map((e) => e.subject)).toEqual(['u2', 'u3', 'u4']);
      // Two days later the 6-days-old event is past the retention too.
      clock += 2 * 86_400;
      await periodicCleanup(s.ctx);
      expect((await s.ctx.store.events.query({ clientId: 'app' })).map((e) => e.subject)).toEqual(['u3', 'u4']);
    });
  });
}
