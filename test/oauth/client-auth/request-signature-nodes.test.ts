import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.js';
import { createTestDatabase, postgresAvailable, redisAvailable, requireService, TEST_DATABASE_URL, TEST_REDIS_URL, type TestDatabase } from '../../support/services.js';
import { makeApiKey, signedHeaders, type TestApiKey } from '../../support/cobo.js';

/**
 * A request-signature nonce is single use across nodes: two servers on one PostgreSQL database (the replay guard
 * in the shared store), and the same with Redis configured (the Redis replay guard).
 */
const ORG = 'org-nodes';
const runPg = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);
const runRedis = runPg && (await requireService('Redis', await redisAvailable(), TEST_REDIS_URL));

for (const withRedis of [false, true]) {
  describe.runIf(withRedis ? runRedis : runPg)(`nonce replay across two nodes${withRedis ? ' with Redis' : ''}`, () => {
    let db: TestDatabase;
    let a: TestServer;
    let b: TestServer;
    let key: TestApiKey;

    beforeAll(async () => {
      db = await createTestDatabase();
      key = makeApiKey('secp256k1');
      const env = {
        TESSERA_DATABASE_URL: db.url,
        TESSERA_MASTER_KEY: randomBytes(32).toString('base64url'),
        TESSERA_PROFILES: 'cobo',
        ...(withRedis ? { TESSERA_REDIS_URL: TEST_REDIS_URL } : {}),
      };
      const doc = {
        clients: [{ client_id: 'app', token_endpoint_auth_method: 'request_signature', grant_types: ['org_implicit'], scope: 'wallet:read', api_keys: [key.publicHex] }],
        organizations: [{ id: ORG, name: 'Org' }],
        installations: [{ org_id: ORG, client_id: 'app', scope: 'wallet:read' }],
      };
      a = await startTestServer({ env, doc });
      b = await startTestServer({ env, doc });
    });
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await db?.drop();
    });

    it('accepts a signed request on one node and refuses its replay on the other', async () => {
      const query = `client_id=app&org_id=${ORG}&grant_type=org_implicit`;
      const headers = signedHeaders(key, { method: 'GET', path: '/oauth/token', query });
      const first = await fetch(`${a.url}/oauth/token?${query}`, { headers });
      expect(first.status).toBe(200);
      const replayed = await fetch(`${b.url}/oauth/token?${query}`, { headers });
      expect(replayed.status).toBe(401);
      expect(((await replayed.json()) as { error_description: string }).error_description).toMatch(/already used/);
    });
  });
}
