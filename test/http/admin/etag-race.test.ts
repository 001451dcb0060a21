import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL, type TestDatabase } from '../../support/services.js';
import type { TestServer } from '../../support/server.js';
import { call, startAdminServer, tokenOf } from './helpers.js';

/**
 * If-Match races on PostgreSQL, where the awaits between the ETag check and the write really interleave (on
 * SQLite each request runs to its end in microtasks before the next is parsed, so the race never shows).
 */
let run = false;
let db: TestDatabase;
let s: TestServer;
let token: string;
const api = (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) => call(s.url, method, `/admin/v1${path}`, { token, ...opts });

beforeAll(async () => {
  run = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);
  if (!run) return;
  db = await createTestDatabase();
  s = await startAdminServer({ TESSERA_DATABASE_URL: db.url });
  token = await tokenOf(s, 'admin');
}, 60_000);
afterAll(async () => {
  await s?.stop();
  await db?.drop();
});

describe('If-Match races (PostgreSQL)', () => {
  it('of writers holding the same ETag, exactly one wins; the others get 412 and change nothing', async ({ skip }) => {
    if (!run) skip();
    await api('POST', '/clients', { body: { client_id: 'race', grant_types: ['client_credentials'], scope: 'a b c d e f' } });
    for (let round = 0; round < 5; round++) {
      const etag = (await api('GET', '/clients/race')).headers.get('etag')!;
      const scopes = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => `${x}${round % 2 === 0 ? '' : ' f'}`);
      const answers = await Promise.all(scopes.map((scope) => api('PATCH', '/clients/race', { body: { scope }, headers: { 'if-match': etag } })));
      const won = answers.filter((r) => r.status === 200);
      expect(won.map((r) => r.status)).toEqual([200]);
      expect(answers.filter((r) => r.status === 412)).toHaveLength(scopes.length - 1);
      expect((await api('GET', '/clients/race')).body.scope).toBe(won[0]!.body.scope);
    }
  });

  it('a delete and a patch with the same ETag: one wins', async ({ skip }) => {
    if (!run) skip();
    await api('POST', '/clients', { body: { client_id: 'race2', grant_types: ['client_credentials'], scope: 'read' } });
    const etag = (await api('GET', '/clients/race2')).headers.get('etag')!;
    const [patched, deleted] = await Promise.all([api('PATCH', '/clients/race2', { body: { name: 'n' }, headers: { 'if-match': etag } }), api('DELETE', '/clients/race2', { headers: { 'if-match': etag } })]);
    // The patch first: the delete's tag is stale. The delete first: the patch finds no client.
    expect([
      [200, 412],
      [404, 204],
    ]).toContainEqual([patched.status, deleted.status]);
  });
});
