import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, redisAvailable, requireService, TEST_DATABASE_URL, TEST_REDIS_URL, type TestDatabase } from '../support/services.js';
import { basic, cli, ensureBuilt, newMasterKey, post, startNode, within, writeDoc, type Node } from './support.js';

/**
 * Changes made with the CLI reach running nodes at once when Redis is configured (the CLI sends the servers'
 * "poll now" nudge), and a node that has not seen a rotated key yet looks it up instead of calling the new
 * key's tokens inactive. A polls its change feed every 20 s and B every 60 s (B without Redis): within the 1 s
 * the tests allow, only the nudge (A) and the key look-up (B) can explain what they see.
 */
const SECRET = 'key-rotation-secret-0123456789';
const doc = {
  clients: [
    { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
    { client_id: 'doomed', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
  ],
};

let run = false;
let db: TestDatabase;
let a: Node | undefined;
let b: Node | undefined;
let shared: Record<string, string>;
let withRedis: Record<string, string>;

beforeAll(async () => {
  run = (await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL)) && (await requireService('Redis', await redisAvailable(), TEST_REDIS_URL));
  if (!run) return;
  await ensureBuilt();
  db = await createTestDatabase();
  shared = { TESSERA_DATABASE_URL: db.url, TESSERA_MASTER_KEY: newMasterKey(), TESSERA_ISSUER: 'https://auth.key-rotation.test', TESSERA_DATABASE_POOL_SIZE: '3' };
  withRedis = { ...shared, TESSERA_REDIS_URL: TEST_REDIS_URL, TESSERA_REDIS_KEY_PREFIX: `t${randomBytes(6).toString('hex')}:` };
  a = await startNode({ ...withRedis, TESSERA_CACHE_SYNC_INTERVAL_MS: '20000' }, ['--import', writeDoc(doc)]);
  b = await startNode({ ...shared, TESSERA_CACHE_SYNC_INTERVAL_MS: '60000' });
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await db?.drop();
});

const cc = (n: Node, id = 'svc') => post(`${n.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(id, SECRET) });
const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

describe('CLI changes and key rotation across nodes', () => {
  it('a client deleted with the CLI (Redis configured) is refused by a node within 1 s, not at its next poll', async () => {
    if (!run) return;
    expect((await cc(a!, 'doomed')).status).toBe(200); // cached on A now
    await cli(['client', 'delete', 'doomed', '--database-url', db.url], withRedis);
    const took = await within(1000, async () => (await cc(a!, 'doomed')).status === 401);
    expect(took, 'A still accepts the deleted client 1 s after the CLI deleted it').toBeGreaterThanOrEqual(0);
  });

  it('a key rotated with the CLI signs on A at once, and B, which has not seen it, still introspects its tokens active', async () => {
    if (!run) return;
    const before = kidOf((await cc(a!)).body.access_token as string);
    const { kid } = JSON.parse(await cli(['keys', 'rotate', '--database-url', db.url, '--json'], withRedis)) as { kid: string };
    expect(kid).not.toBe(before);
    let token = '';
    const signed = await within(1000, async () => kidOf((token = (await cc(a!)).body.access_token as string)) === kid);
    expect(signed, 'A does not sign with the new key 1 s after the CLI rotated it').toBeGreaterThanOrEqual(0);
    // B polls once a minute and has no Redis: only a look-up of the kid lets it verify the token now.
    const jwks = (await (await fetch(`${b!.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).not.toContain(kid);
    const r = await post(`${b!.url}/oauth/introspect`, { token }, { authorization: basic('svc', SECRET) });
    expect(r.body).toMatchObject({ active: true, client_id: 'svc' });
    // The look-up loaded the key: B publishes it now too.
    const after = (await (await fetch(`${b!.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(after.keys.map((k) => k.kid)).toContain(kid);
  });
});
