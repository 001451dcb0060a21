import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/crypto/token-hash.js';
import { startTestServer, type TestServer } from '../../support/server.js';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL, type TestDatabase } from '../../support/services.js';

/** The rotation compare-and-set on PostgreSQL (row locks, READ COMMITTED re-check), over real HTTP. */
const PASSWORD = 'correct horse battery';
const run = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);
let db: TestDatabase;
let s: TestServer;

describe.runIf(run)('refresh_token rotation on PostgreSQL', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
    s = await startTestServer({
      env: { TESSERA_DATABASE_URL: db.url },
      doc: {
        clients: [
          { client_id: 'web', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read write' },
          { client_id: 'opaque', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read write', access_token_format: 'opaque' },
        ],
        users: [{ username: 'ada', password: PASSWORD }],
      },
    });
  });
  afterAll(async () => {
    await s?.stop();
    await db?.drop();
  });

  const login = async (client = 'web') => (await s.post('/oauth/token', { grant_type: 'password', client_id: client, username: 'ada', password: PASSWORD })).body;
  const refresh = (token: string, client = 'web') => s.post('/oauth/token', { grant_type: 'refresh_token', client_id: client, refresh_token: token });

  it('lets exactly one of 50 parallel refreshes with the same token succeed', async () => {
    const rt = (await login()).refresh_token as string;
    const results = await Promise.all(Array.from({ length: 50 }, () => refresh(rt)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400 && r.body.error === 'invalid_grant')).toHaveLength(49);
  });

  it('detects reuse and revokes the family with its opaque access tokens', async () => {
    const first = await login('opaque');
    const second = (await refresh(first.refresh_token as string, 'opaque')).body;
    expect((await refresh(first.refresh_token as string, 'opaque')).body.error).toBe('invalid_grant');
    expect((await refresh(second.refresh_token as string, 'opaque')).body.error).toBe('invalid_grant');
    for (const at of [first.access_token, second.access_token]) expect(await s.ctx.store.accessTokens.findOpaque(hashToken(at as string))).toBeUndefined();
  });
});
