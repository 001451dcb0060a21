import { createHash } from 'node:crypto';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { FlexibleRateLimiter } from './flexible.js';
import type { RedisConnection } from '../redis/connection.js';
import { MemoryLoginThrottle, MemoryRateLimiter, throttleDelay, userKey, type ThrottleSettings } from './memory.js';
import type { LoginThrottle, RateDecision, RateLimiter, ThrottleState } from './types.js';
import type { RateLimitSetting } from '../store/types.js';

/**
 * Rate limits shared by every node through Redis (rate-limiter-flexible's atomic INCR + TTL script). While Redis
 * cannot be used (down, or not answering: RedisConnection.isReady) the same limits apply per node, from an
 * in-process limiter answered synchronously; a command that fails or times out is decided by that limiter too.
 * A Redis outage loosens limits by at most the number of nodes and never fails a request.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly shared: FlexibleRateLimiter;
  private readonly local: MemoryRateLimiter;

  constructor(
    private readonly redis: RedisConnection,
    clock: () => number = Date.now,
  ) {
    this.local = new MemoryRateLimiter(clock);
    this.shared = new FlexibleRateLimiter(
      (setting, id) =>
        new RateLimiterRedis({
          storeClient: redis.client,
          points: setting.points,
          duration: setting.duration,
          keyPrefix: redis.key(`rl:${id}`),
          rejectIfRedisNotReady: true,
        }),
      (key, setting) => this.local.consume(key, setting),
    );
  }

  consume(key: string, setting: RateLimitSetting): RateDecision | Promise<RateDecision> {
    if (!this.redis.isReady) return this.local.consume(key, setting);
    return this.shared.consume(key, setting);
  }
}

// One round trip per failure: bump the counter, stamp the time, and let the key expire a window after the
// last failure (the memory throttle's "forgotten after `window` seconds without one").
const RECORD_FAILURE = `
local last = tonumber(redis.call('hget', KEYS[1], 'last'))
if last and tonumber(ARGV[1]) - last > tonumber(ARGV[2]) then redis.call('del', KEYS[1]) end
local count = redis.call('hincrby', KEYS[1], 'count', 1)
redis.call('hset', KEYS[1], 'last', ARGV[1])
redis.call('pexpire', KEYS[1], ARGV[2])
return count`;

type ThrottleRedis = RedisConnection['client'] & {
  tesseraRecordFailure(key: string, now: string, windowMs: string): Promise<number>;
};

/**
 * MemoryLoginThrottle's semantics (growing delays per (username, IP) and, with four times the allowance, per
 * IP) with the counters in Redis, so an attacker cannot multiply their attempts by the number of nodes.
 * Usernames are hashed into the key. While Redis is down the node falls back to its own memory throttle.
 */
export class RedisLoginThrottle implements LoginThrottle {
  private readonly fallback: MemoryLoginThrottle;
  private readonly client: ThrottleRedis;

  constructor(
    private readonly redis: RedisConnection,
    private readonly settings: ThrottleSettings,
    private readonly clock: () => number = Date.now,
  ) {
    this.fallback = new MemoryLoginThrottle(settings, clock);
    redis.client.defineCommand('tesseraRecordFailure', { numberOfKeys: 1, lua: RECORD_FAILURE });
    this.client = redis.client as ThrottleRedis;
  }

  private userKey(username: string, ip: string): string {
    const h = createHash('sha256').update(userKey(username, ip)).digest('base64url');
    return this.redis.key(`lt:u:${h}`);
  }

  private ipKey(ip: string): string {
    return this.redis.key(`lt:ip:${ip}`);
  }

  private wait(fields: Array<string | null>, allowanceFactor: number, now: number): number {
    const [count, last] = fields.map((f) => (f === null ? NaN : Number(f)));
    if (!Number.isFinite(count) || !Number.isFinite(last)) return 0;
    if (now - last! > this.settings.window * 1000) return 0;
    const delay = throttleDelay(count!, { ...this.settings, freeAttempts: this.settings.freeAttempts * allowanceFactor });
    return Math.max(0, last! + delay - now);
  }

  async check(username: string, ip: string): Promise<ThrottleState> {
    if (!this.settings.enabled) return { retryAfterMs: 0 };
    if (!this.redis.isReady) return this.fallback.check(username, ip);
    try {
      const res = await this.client.multi().hmget(this.userKey(username, ip), 'count', 'last').hmget(this.ipKey(ip), 'count', 'last').exec();
      if (!res || res.some(([err]) => err)) throw new Error('redis transaction failed');
      const now = this.clock();
      const user = this.wait(res[0]![1] as Array<string | null>, 1, now);
      const byIp = this.wait(res[1]![1] as Array<string | null>, 4, now);
      // Failures counted locally during an outage still count.
      const local = await this.fallback.check(username, ip);
      return { retryAfterMs: Math.max(user, byIp, local.retryAfterMs) };
    } catch {
      return this.fallback.check(username, ip);
    }
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    if (!this.settings.enabled) return;
    if (!this.redis.isReady) return this.fallback.recordFailure(username, ip);
    const now = String(this.clock());
    const windowMs = String(this.settings.window * 1000);
    try {
      await Promise.all([this.client.tesseraRecordFailure(this.userKey(username, ip), now, windowMs), this.client.tesseraRecordFailure(this.ipKey(ip), now, windowMs)]);
    } catch {
      await this.fallback.recordFailure(username, ip);
    }
  }

  async recordSuccess(username: string, ip: string): Promise<void> {
    await this.fallback.recordSuccess(username, ip);
    if (!this.redis.isReady) return;
    try {
      await this.client.del(this.userKey(username, ip));
    } catch {
      // The pair's counter then simply expires after the window; a failed reset never blocks a login.
    }
  }
}
