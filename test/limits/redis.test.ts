import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryLoginThrottle, type ThrottleSettings } from '../../src/limits/memory.js';
import { RedisLoginThrottle, RedisRateLimiter } from '../../src/limits/redis.js';
import { RedisConnection } from '../../src/redis/connection.js';
import { redisAvailable, requireService, TEST_REDIS_URL } from '../support/services.js';

const available = await requireService('Redis', await redisAvailable(), TEST_REDIS_URL);
const SETTINGS: ThrottleSettings = { enabled: true, freeAttempts: 2, baseDelayMs: 100, maxDelayMs: 1000, window: 60 };
const silent = pino({ level: 'silent' });
const prefix = () => `test:${randomBytes(6).toString('hex')}:`;

describe.runIf(available)('Redis limits', () => {
  const conns: RedisConnection[] = [];
  const connect = async (url = TEST_REDIS_URL, p = prefix()) => {
    const c = new RedisConnection(url, p, silent);
    await c.connect();
    conns.push(c);
    return c;
  };
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close()));
  });

  it('RedisRateLimiter: two nodes (connections) share one budget', async () => {
    const p = prefix();
    const [a, b] = [new RedisRateLimiter(await connect(TEST_REDIS_URL, p)), new RedisRateLimiter(await connect(TEST_REDIS_URL, p))];
    const setting = { points: 4, duration: 60 };
    const seen = [];
    for (const l of [a, b, a, b, a, b]) seen.push((await l.consume('client:x', setting)).allowed);
    expect(seen).toEqual([true, true, true, true, false, false]);
    const refused = await a.consume('client:x', setting);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, limit: 4, window: 60 });
    expect(refused.resetMs).toBeGreaterThan(0);
    expect(refused.resetAt).toBeGreaterThan(Date.now());
    expect(refused.resetAt).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('RedisRateLimiter: with Redis unreachable the per-node insurance limiter decides, never an error', async () => {
    const dead = await connect('redis://127.0.0.1:1');
    expect(dead.health().ok).toBe(false);
    const l = new RedisRateLimiter(dead);
    const setting = { points: 2, duration: 60 };
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await l.consume('ip:1.2.3.4', setting)).allowed);
    expect(seen).toEqual([true, true, false]);
  });

  it('RedisLoginThrottle gives the same answers as MemoryLoginThrottle for any sequence of events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ op: fc.constantFrom('fail', 'fail', 'fail', 'ok', 'check', 'check', 'wait'), user: fc.constantFrom('ada', 'Ada', 'bob'), ip: fc.constantFrom('10.0.0.1', '10.0.0.2'), ms: fc.integer({ min: 1, max: 70_000 }) }), { maxLength: 40 }),
        async (events) => {
          let now = 1_000_000;
          const clock = () => now;
          const memory = new MemoryLoginThrottle(SETTINGS, clock);
          // A fresh key space per run.
          const conn = await connect();
          const shared = new RedisLoginThrottle(conn, SETTINGS, clock);
          for (const e of events) {
            if (e.op === 'fail') {
              await memory.recordFailure(e.user, e.ip);
              await shared.recordFailure(e.user, e.ip);
            } else if (e.op === 'ok') {
              await memory.recordSuccess(e.user, e.ip);
              await shared.recordSuccess(e.user, e.ip);
            } else if (e.op === 'wait') now += e.ms;
            else expect(await shared.check(e.user, e.ip)).toEqual(await memory.check(e.user, e.ip));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('RedisLoginThrottle: failures older than the window are forgotten even before Redis expires the key', async () => {
    let now = 5_000_000;
    const t = new RedisLoginThrottle(await connect(), SETTINGS, () => now);
    for (let i = 0; i < 4; i++) await t.recordFailure('erin', '10.3.3.3');
    expect((await t.check('erin', '10.3.3.3')).retryAfterMs).toBeGreaterThan(0);
    now += SETTINGS.window * 1000 + 1;
    await t.recordFailure('erin', '10.3.3.3');
    expect((await t.check('erin', '10.3.3.3')).retryAfterMs).toBe(0);
  });

  it('RedisLoginThrottle: failures recorded on one node slow the same (username, IP) on another', async () => {
    const p = prefix();
    const a = new RedisLoginThrottle(await connect(TEST_REDIS_URL, p), SETTINGS);
    const b = new RedisLoginThrottle(await connect(TEST_REDIS_URL, p), SETTINGS);
    for (let i = 0; i < 3; i++) await a.recordFailure('carol', '10.1.1.1');
    expect((await b.check('carol', '10.1.1.1')).retryAfterMs).toBeGreaterThan(0);
    expect((await b.check('carol', '10.1.1.2')).retryAfterMs).toBe(0);
    await b.recordSuccess('carol', '10.1.1.1');
    expect((await a.check('carol', '10.1.1.1')).retryAfterMs).toBe(0);
  });

  it('RedisLoginThrottle: Redis down -> the node throttles on its own', async () => {
    const t = new RedisLoginThrottle(await connect('redis://127.0.0.1:1'), SETTINGS);
    for (let i = 0; i < 3; i++) await t.recordFailure('dave', '10.2.2.2');
    expect((await t.check('dave', '10.2.2.2')).retryAfterMs).toBeGreaterThan(0);
  });
});
