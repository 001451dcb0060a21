import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitSetting } from '../store/types.js';
import type { RateDecision, RateLimiter } from './types.js';
import { PerSetting } from './per-setting.js';

/**
 * A RateLimiter over rate-limiter-flexible: one limiter per distinct (points, duration) setting, built by the
 * backend's factory (the Redis limiter). A failure of the backend (not a refusal: down, timed out) is decided by
 * `onFailure` when given (a per-node limiter), else it rejects.
 */
export class FlexibleRateLimiter implements RateLimiter {
  private readonly limiters: PerSetting<RateLimiterAbstract>;

  constructor(
    create: (setting: RateLimitSetting, id: string) => RateLimiterAbstract,
    private readonly onFailure?: (key: string, setting: RateLimitSetting) => RateDecision,
  ) {
    this.limiters = new PerSetting(create);
  }

  consume(key: string, setting: RateLimitSetting): Promise<RateDecision> {
    return this.limiters.get(setting).consume(key, 1).then(
      (res): RateDecision => ({ allowed: true, limit: setting.points, remaining: res.remainingPoints, resetMs: res.msBeforeNext, resetAt: Date.now() + res.msBeforeNext, window: setting.duration }),
      (rej: unknown): RateDecision => {
        if (rej instanceof RateLimiterRes) {
          return { allowed: false, limit: setting.points, remaining: 0, resetMs: rej.msBeforeNext, resetAt: Date.now() + rej.msBeforeNext, window: setting.duration };
        }
        if (this.onFailure) return this.onFailure(key, setting);
        throw rej;
      },
    );
  }
}
