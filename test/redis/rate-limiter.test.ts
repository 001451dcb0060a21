import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisRateLimiter } from '../../src/redis/rate-limiter.js';
import { RedisConnection } from '../../src/redis/connection.js';
import { redisAvailable, requireService, TEST_REDIS_URL } from '../support/services.js';

const available = await requireService('Redis', await redisAvailable(), TEST_REDIS_URL);
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
});
