import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, requireService, REQUIRE_SERVICES, TEST_DATABASE_URL, type TestDatabase } from '../support/services.js';
import { basic, ensureBuilt, newMasterKey, post, redisServerAvailable, sleep, startNode, startPrivateRedis, within, writeDoc, type Node, type PrivateRedis } from './support.js';

/**
 * Two nodes share a fresh database and a PRIVATE redis-server, which is killed and started again: meanwhile
 * every request is still answered (per-node limits, store-backed replay checks, polling for invalidation),
 * /readyz stays 200 and reports Redis down, and once Redis is back the limits are shared again by themselves.
 */
const SECRET = 'redis-fault-secret-0123456789';
const doc = {
  clients: [
    { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
    { client_id: 'limited', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', rate_limit: { points: 6, duration: 600 } },
  ],
};

let run = false;
let db: TestDatabase | undefined;
let redis: PrivateRedis | undefined;
let nodes: Node[] = [];

beforeAll(async () => {
  if (!(await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL))) return;
  if (!(await redisServerAvailable())) {
    if (REQUIRE_SERVICES) throw new Error('redis-server is not installed and TESSERA_REQUIRE_SERVICES=1');
    console.log('SKIPPED: Redis fault test: redis-server binary not found');
    return;
  }
  run = true;
  await ensureBuilt();
  db = await createTestDatabase();
  redis = await startPrivateRedis();
  const env = { TESSERA_DATABASE_URL: db.url, TESSERA_REDIS_URL: redis.url, TESSERA_MASTER_KEY: newMasterKey(), TESSERA_ISSUER: 'https://auth.redis-fault.test', TESSERA_DATABASE_POOL_SIZE: '3' };
  const file = writeDoc(doc);
  nodes.push(await startNode(env, ['--import', file]));
  nodes.push(await startNode(env));
}, 120_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  nodes = [];
  await redis?.stop();
  await db?.drop();
}, 60_000);

async function readiness(n: Node): Promise<{ status: number; redis?: { ok: boolean; detail?: string } }> {
  const r = await fetch(`${n.url}/readyz`);
  const body = (await r.json()) as { checks: { redis?: { ok: boolean; detail?: string } } };
  return { status: r.status, ...(body.checks.redis ? { redis: body.checks.redis } : {}) };
}

const cc = (n: Node, id: string) => post(`${n.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(id, SECRET) });

describe('Redis killed and restarted under load', () => {
  it('never fails a request, reports the outage in /readyz and the log, and shares limits again afterwards', async () => {
    if (!run) return;
    const [a, b] = nodes as [Node, Node];
    for (const n of nodes) expect((await readiness(n)).redis).toEqual({ ok: true });
    // Shared while Redis is up: 3 + 3 of 6 points.
    for (const n of [a, b, a, b, a, b]) expect((await cc(n, 'limited')).status).toBe(200);
    expect((await cc(a, 'limited')).status).toBe(429);

    const statuses: number[] = [];
    let stop = false;
    const load = (async () => {
      while (!stop) {
        for (const n of nodes) statuses.push((await cc(n, 'svc')).status);
        await sleep(10);
      }
    })();

    await redis!.stop();
    for (const n of nodes) {
      expect(await within(10_000, async () => (await readiness(n)).redis?.ok === false, 100)).toBeGreaterThanOrEqual(0);
      const r = await readiness(n);
      expect(r.status).toBe(200); // Redis is not required: the node is degraded, not unready
      expect(r.redis?.detail).toMatch(/per-node fallback/);
    }
    // Per-node insurance limits apply meanwhile: each node counts on its own, and nothing fails.
    for (const n of [a, b]) expect((await cc(n, 'limited')).status).toBe(200);
    // Invalidation still reaches the other node by polling the change feed.
    const t = (await cc(a, 'svc')).body.access_token as string;
    expect((await post(`${a.url}/oauth/revoke`, { token: t }, { authorization: basic('svc', SECRET) })).status).toBe(200);
    const gone = await within(1000, async () => (await post(`${b.url}/oauth/introspect`, { token: t }, { authorization: basic('svc', SECRET) })).body.active === false);
    expect(gone).toBeGreaterThanOrEqual(0);

    await redis!.start();
    for (const n of nodes) expect(await within(15_000, async () => (await readiness(n)).redis?.ok === true, 100)).toBeGreaterThanOrEqual(0);
    stop = true;
    await load;

    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    for (const n of nodes) {
      expect(n.logs.some((l) => l.includes('Redis unavailable'))).toBe(true);
      expect(n.logs.some((l) => l.includes('Redis available again'))).toBe(true);
    }
    // The restarted Redis is empty: 6 fresh shared points, then refused on both nodes.
    for (const n of [a, b, a, b, a, b]) expect((await cc(n, 'limited')).status).toBe(200);
    for (const n of [a, b]) expect((await cc(n, 'limited')).status).toBe(429);
  }, 90_000);
});
