import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitSetting } from '../store/types.js';
import type { RateDecision, RateLimiter } from './types.js';

/**
 * A RateLimiter over rate-limiter-flexible: one limiter per distinct (points, duration) setting, built by the
 * backend's factory (memory, or Redis with an in-memory insurance limiter).
 */
export class FlexibleRateLimiter implements RateLimiter {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(private readonly create: (setting: RateLimitSetting, id: string) => RateLimiterAbstract) {}

  private limiter(setting: RateLimitSetting): RateLimiterAbstract {
    const id = `${setting.points}/${setting.duration}`;
    let l = this.limiters.get(id);
    if (!l) {
      l = this.create(setting, id);
      this.limiters.set(id, l);
    }
    return l;
  }

  async consume(key: string, setting: RateLimitSetting): Promise<RateDecision> {
    try {
      const res = await this.limiter(setting).consume(key, 1);
      return { allowed: true, limit: setting.points, remaining: res.remainingPoints, resetMs: res.msBeforeNext, window: setting.duration };
    } catch (rej) {
      if (rej instanceof RateLimiterRes) {
        return { allowed: false, limit: setting.points, remaining: 0, resetMs: rej.msBeforeNext, window: setting.duration };
      }
      throw rej;
    }
  }
}
