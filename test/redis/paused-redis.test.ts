import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisConnection } from '../../src/redis/connection.js';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { REQUIRE_SERVICES } from '../support/services.js';
import { redisServerAvailable, startPrivateRedis, within, type PrivateRedis } from '../multinode/support.js';

/**
 * A Redis that stops answering without closing its connections (SIGSTOP of a PRIVATE redis-server, never the
 * shared one): the connection stays "ready", so without a breaker every command waited out its timeout and each
 * request paid it for the whole outage. Now a few timeouts open the breaker: requests go on at per-node speed,
 * /readyz reports Redis not ok, one warning is logged; after SIGCONT a background probe closes it again, one
 * info line is logged and the rate limits are shared again.
 */
const SECRET = 'paused-redis-secret-0123456789';
const PASSWORD = 'correct horse battery staple';
const doc = {
  clients: [
    { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
    { client_id: 'after', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', rate_limit: { points: 4, duration: 600 } },
    { client_id: 'app', client_secret: SECRET, grant_types: ['password'], scope: 'read' },
  ],
  users: [{ username: 'alice', password: PASSWORD }],
};

const run = await redisServerAvailable();
if (!run) {
  if (REQUIRE_SERVICES) throw new Error('redis-server is not installed and TESSERA_REQUIRE_SERVICES=1');
  console.log('SKIPPED: paused Redis test: redis-server binary not found');
}

/** Keeps the log lines that mention Redis (the servers log at trace level to this stream). */
function redisLog(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.includes('Redis')) lines.push(line);
      done();
    },
  });
  return { stream, lines };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

describe.runIf(run)('a paused (unresponsive) Redis', () => {
  let redis: PrivateRedis;
  const nodes: Array<{ server: TestServer; log: { lines: string[] } }> = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    const env = { TESSERA_REDIS_URL: redis.url, TESSERA_REDIS_KEY_PREFIX: `t${randomBytes(6).toString('hex')}:`, TESSERA_SIGNING_THREAD: 'false' };
    for (let i = 0; i < 2; i++) {
      const log = redisLog();
      nodes.push({ server: await startTestServer({ doc, env, logStream: log.stream }), log });
    }
  }, 60_000);

  afterAll(async () => {
    redis?.resume();
    await Promise.all(nodes.map((n) => n.server.stop()));
    await redis?.stop();
  }, 60_000);

  const cc = (s: TestServer, id: string) => s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(id, SECRET) });
  const readiness = async (s: TestServer) => {
    const r = await fetch(`${s.url}/readyz`);
    const body = (await r.json()) as { checks: { redis?: { ok: boolean; detail?: string } } };
    return { status: r.status, redis: body.checks.redis };
  };

  it('costs requests no more than the first moments of the outage, degrades /readyz, and recovers by itself', async () => {
    const [a, b] = nodes.map((n) => n.server) as [TestServer, TestServer];
    for (const s of [a, b]) expect((await readiness(s)).redis).toEqual({ ok: true });
    for (const s of [a, b]) expect((await cc(s, 'svc')).status).toBe(200);

    redis.pause();
    const pausedAt = performance.now();
    const samples: Array<{ at: number; ms: number; status: number }> = [];
    for (let i = 0; performance.now() - pausedAt < 3500; i++) {
      const start = performance.now();
      const r = await cc(i % 2 === 0 ? a : b, 'svc');
      samples.push({ at: start - pausedAt, ms: performance.now() - start, status: r.status });
    }
    // Every request answered; after the first second at per-node speed (it was ~2 command timeouts each).
    expect(samples.filter((x) => x.status !== 200)).toEqual([]);
    const late = samples.filter((x) => x.at > 1000).map((x) => x.ms);
    expect(late.length).toBeGreaterThan(10);
    expect(median(late), `latencies after the first second: ${late.map((m) => m.toFixed(0)).join(' ')}`).toBeLessThan(50);

    // The login throttle falls back too: a password login is not held up by the paused Redis.
    const login = await a.post('/oauth/token', { grant_type: 'password', username: 'alice', password: PASSWORD }, { authorization: basic('app', SECRET) });
    expect(login.status, JSON.stringify(login.body)).toBe(200);

    for (const s of [a, b]) {
      const r = await readiness(s);
      expect(r.status).toBe(200); // Redis is optional: degraded, not unready
      expect(r.redis?.ok).toBe(false);
      expect(r.redis?.detail).toMatch(/timeout.*per-node fallback active/);
    }
    for (const n of nodes) {
      const warnings = n.log.lines.filter((l) => l.includes('Redis unavailable'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, redis_up: 0 });
    }

    redis.resume();
    for (const s of [a, b]) expect(await within(5000, async () => (await readiness(s)).redis?.ok === true, 100), 'Redis not used again 5 s after SIGCONT').toBeGreaterThanOrEqual(0);
    for (const n of nodes) {
      const infos = n.log.lines.filter((l) => l.includes('Redis available again'));
      expect(infos).toHaveLength(1);
      expect(JSON.parse(infos[0]!)).toMatchObject({ level: 30, redis_up: 1 });
    }
    // Shared again: 4 points for both nodes together (per node, each would allow 4).
    for (const s of [a, b, a, b]) expect((await cc(s, 'after')).status).toBe(200);
    for (const s of [a, b]) expect((await cc(s, 'after')).status).toBe(429);
  }, 60_000);
});

describe.runIf(run)('RedisConnection against a paused Redis', () => {
  it('bounds each command by the timeout, then refuses commands at once until a probe answers', async () => {
    const redis = await startPrivateRedis();
    const conn = new RedisConnection(redis.url, `t${randomBytes(6).toString('hex')}:`, pino({ level: 'silent' }), { commandTimeoutMs: 100, breakerThreshold: 2, probeIntervalMs: 200 });
    try {
      await conn.connect();
      expect(await conn.client.set(conn.key('k'), 'v')).toBe('OK');
      redis.pause();
      const timed = async () => {
        const start = performance.now();
        const err = await conn.client.get(conn.key('k')).then(() => undefined, (e: Error) => e);
        return { ms: performance.now() - start, err };
      };
      // Two timeouts (each bounded by the 100 ms command timeout, with room for a loaded machine)...
      for (let i = 0; i < 2; i++) {
        const r = await timed();
        expect(r.err?.message).toBe('Command timed out');
        expect(r.ms).toBeLessThan(1000);
      }
      // ...open the breaker: refused without waiting, and the connection says Redis cannot be used.
      expect(conn.breaker.state).not.toBe('closed');
      expect(conn.isReady).toBe(false);
      const refused = await timed();
      expect(refused.err?.message).toMatch(/circuit breaker open/);
      expect(refused.ms).toBeLessThan(50);
      redis.resume();
      expect(await within(5000, async () => conn.isReady, 50)).toBeGreaterThanOrEqual(0);
      expect(await conn.client.get(conn.key('k'))).toBe('v');
    } finally {
      redis.resume();
      await conn.close();
      await redis.stop();
    }
  }, 30_000);
});
