import { MemoryFailureThrottle } from '../limits/memory-throttle.js';
import { refusalDecision } from '../limits/throttle-policy.js';
import type { FailureThrottle, RateDecision, Reservation, ThrottlePolicy, ThrottleTicket } from '../limits/types.js';
import type { RedisConnection } from './connection.js';

// Each counter is a hash {f: settled failures, p: pending attempts, last: ms of the last attempt} with a TTL of one
// window. The scripts are MemoryFailureThrottle's code in Lua (refusalOf in limits/throttle-policy.ts), one round trip
// each, so that checking and reserving are one atomic step across every node.

// KEYS: the counters. ARGV: now, windowMs, dry ('1': only answer), then per counter free, base, max, onlyAfterFailure.
// Returns {0, waitMs, index} for a refusal, {1} for a dry run, else {1, previous last or -1 per counter}.
const RESERVE = `
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local f, p, last = {}, {}, {}
for i = 1, #KEYS do
  local v = redis.call('hmget', KEYS[i], 'f', 'p', 'last')
  local l = tonumber(v[3])
  if l and now - l <= window then
    f[i], p[i], last[i] = tonumber(v[1]) or 0, tonumber(v[2]) or 0, l
  else
    f[i], p[i], last[i] = 0, 0, false
  end
end
local wait, worst = 0, 0
for i = 1, #KEYS do
  local o = 3 + (i - 1) * 4
  local free, base, max = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3])
  local count = f[i] + p[i]
  if last[i] and count > free and not (ARGV[o + 4] == '1' and f[1] == 0) then
    local w = last[i] + math.min(max, base * 2 ^ math.min(30, count - free - 1)) - now
    if w > wait then wait, worst = w, i end
  end
end
if wait > 0 then return {0, wait, worst} end
if ARGV[3] == '1' then return {1} end
local out = {1}
for i = 1, #KEYS do
  redis.call('hset', KEYS[i], 'f', f[i], 'p', p[i] + 1, 'last', now)
  redis.call('pexpire', KEYS[i], window)
  out[i + 1] = last[i] or -1
end
return out`;

// KEYS: the counters. ARGV: now, windowMs. The pending attempt becomes a failure; the delay runs from now.
const FAIL = `
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 1, #KEYS do
  local v = redis.call('hmget', KEYS[i], 'f', 'p', 'last')
  local l = tonumber(v[3])
  if l and now - l <= window then
    redis.call('hset', KEYS[i], 'f', (tonumber(v[1]) or 0) + 1, 'p', math.max(0, (tonumber(v[2]) or 0) - 1), 'last', math.max(l, now))
  else
    redis.call('hset', KEYS[i], 'f', 1, 'p', 0, 'last', now)
  end
  redis.call('pexpire', KEYS[i], window)
end
return 1`;

// KEYS: the counters. ARGV: the reservation's time, then per counter reset ('1': forget it) and its previous last.
const WITHDRAW = `
for i = 1, #KEYS do
  if ARGV[i * 2] == '1' then
    redis.call('del', KEYS[i])
  else
    local v = redis.call('hmget', KEYS[i], 'f', 'p', 'last')
    local l = tonumber(v[3])
    if l then
      local f, p = tonumber(v[1]) or 0, math.max(0, (tonumber(v[2]) or 0) - 1)
      if f == 0 and p == 0 then
        redis.call('del', KEYS[i])
      else
        redis.call('hset', KEYS[i], 'p', p)
        local previous = tonumber(ARGV[i * 2 + 1])
        if l == tonumber(ARGV[1]) and previous >= 0 then redis.call('hset', KEYS[i], 'last', previous) end
      end
    end
  end
end
return 1`;

type Args = Array<string | number>;
type ThrottleRedis = RedisConnection['client'] & {
  tesseraThrottleReserve(numKeys: number, ...args: Args): Promise<number[]>;
  tesseraThrottleFail(numKeys: number, ...args: Args): Promise<number>;
  tesseraThrottleWithdraw(numKeys: number, ...args: Args): Promise<number>;
};

const settled = (): Promise<void> => Promise.resolve();
const UNTHROTTLED: Reservation = { allowed: true, ticket: { fail: settled, succeed: settled, cancel: settled } };

/**
 * MemoryFailureThrottle's rules with the counters in Redis, so an attacker cannot multiply their attempts by the
 * number of nodes. While Redis is not ready (or a command fails) the node throttles on its own, and failures
 * counted locally during an outage keep counting after it. A settlement that cannot reach Redis is dropped: the
 * attempt then stays pending until its counter expires, a window after the last attempt (the safe side).
 */
export class RedisFailureThrottle implements FailureThrottle {
  private readonly local: MemoryFailureThrottle;
  private readonly client: ThrottleRedis;
  private readonly limits: string[];

  constructor(
    private readonly redis: RedisConnection,
    readonly policy: ThrottlePolicy,
    private readonly clock: () => number = Date.now,
  ) {
    this.local = new MemoryFailureThrottle(policy, clock);
    redis.client.defineCommand('tesseraThrottleReserve', { lua: RESERVE });
    redis.client.defineCommand('tesseraThrottleFail', { lua: FAIL });
    redis.client.defineCommand('tesseraThrottleWithdraw', { lua: WITHDRAW });
    this.client = redis.client as ThrottleRedis;
    this.limits = policy.dimensions.flatMap((d) => [String(d.freeAttempts), String(d.baseDelayMs), String(d.maxDelayMs), d.onlyAfterFailure ? '1' : '0']);
  }

  private names(keys: readonly string[]): string[] {
    return this.policy.dimensions.map((d, i) => this.redis.key(`ft:${this.policy.name}:${d.name}:${keys[i]}`));
  }

  /** One run of the reserve script: a refusal, or the previous `last` of each counter (undefined for a dry run). */
  private async run(names: readonly string[], now: number, dry: boolean): Promise<{ decision: RateDecision } | { previous: number[] }> {
    const res = await this.client.tesseraThrottleReserve(names.length, ...names, now, this.policy.windowMs, dry ? '1' : '0', ...this.limits);
    if (res[0] === 0) {
      const dimension = this.policy.dimensions[res[2]! - 1]!;
      return { decision: refusalDecision(now, res[1]!, dimension, this.policy.windowMs) };
    }
    return { previous: res.slice(1) };
  }

  async peek(keys: readonly string[]): Promise<RateDecision | undefined> {
    if (!this.policy.enabled) return undefined;
    const local = this.local.peekNow(keys);
    if (local || !this.redis.isReady) return local;
    try {
      const r = await this.run(this.names(keys), this.clock(), true);
      return 'decision' in r ? r.decision : undefined;
    } catch {
      return undefined;
    }
  }

  async reserve(keys: readonly string[]): Promise<Reservation> {
    if (!this.policy.enabled) return UNTHROTTLED;
    if (!this.redis.isReady) return this.local.reserve(keys);
    const local = this.local.peekNow(keys);
    if (local) return { allowed: false, decision: local };
    const names = this.names(keys);
    const now = this.clock();
    let r: Awaited<ReturnType<RedisFailureThrottle['run']>>;
    try {
      r = await this.run(names, now, false);
    } catch {
      return this.local.reserve(keys);
    }
    if ('decision' in r) return { allowed: false, decision: r.decision };
    return { allowed: true, ticket: this.ticket(names, now, r.previous) };
  }

  private ticket(names: readonly string[], stamp: number, previous: readonly number[]): ThrottleTicket {
    let done = false;
    const once = (settle: () => Promise<unknown>) => async (): Promise<void> => {
      if (done) return;
      done = true;
      try {
        await settle();
      } catch {
        // See the class comment: the pending attempt expires with its counter.
      }
    };
    const withdraw = (reset: (i: number) => boolean) =>
      this.client.tesseraThrottleWithdraw(names.length, ...names, stamp, ...names.flatMap((_, i) => [reset(i) ? '1' : '0', previous[i] ?? -1]));
    return {
      fail: once(() => this.client.tesseraThrottleFail(names.length, ...names, this.clock(), this.policy.windowMs)),
      succeed: once(() => withdraw((i) => this.policy.dimensions[i]!.resetOnSuccess)),
      cancel: once(() => withdraw(() => false)),
    };
  }
}
