import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitSetting } from '../store/types.js';
import type { RateDecision, RateLimiter } from './types.js';

/**
 * A RateLimiter over rate-limiter-flexible: one limiter per distinct (points, duration) setting, built by the
 * backend's factory (memory, or Redis with an in-memory insurance limiter).
 */
export class FlexibleRateLimiter implements RateLimiter {
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  /** Settings are long-lived objects (config, cached clients): remember their limiter without building the id. */
  private readonly bySetting = new WeakMap<RateLimitSetting, RateLimiterAbstract>();

  constructor(private readonly create: (setting: RateLimitSetting, id: string) => RateLimiterAbstract) {}

  private limiter(setting: RateLimitSetting): RateLimiterAbstract {
    let l = this.bySetting.get(setting);
    if (l) return l;
    const id = `${setting.points}/${setting.duration}`;
    l = this.limiters.get(id);
    if (!l) {
      l = this.create(setting, id);
      this.limiters.set(id, l);
    }
    this.bySetting.set(setting, l);
    return l;
  }

  consume(key: string, setting: RateLimitSetting): Promise<RateDecision> {
    return this.limiter(setting).consume(key, 1).then(
      (res): RateDecision => ({ allowed: true, limit: setting.points, remaining: res.remainingPoints, resetMs: res.msBeforeNext, window: setting.duration }),
      (rej: unknown): RateDecision => {
        if (rej instanceof RateLimiterRes) {
          return { allowed: false, limit: setting.points, remaining: 0, resetMs: rej.msBeforeNext, window: setting.duration };
        }
        throw rej;
      },
    );
  }
}
