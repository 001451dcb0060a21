import { hash } from 'node:crypto';
import type { Config } from '../config.js';
import type { RateDecision, ThrottleDimension, ThrottlePolicy } from './types.js';

/** One counter's state: settled failures, attempts reserved and not yet settled, and the last attempt (epoch ms). */
export interface CounterState {
  f: number;
  p: number;
  last: number;
}

/** How long to wait after `count` failures: nothing for the free attempts, then base x 2^n, capped. */
export function throttleDelay(count: number, d: Pick<ThrottleDimension, 'freeAttempts' | 'baseDelayMs' | 'maxDelayMs'>): number {
  if (count <= d.freeAttempts) return 0;
  return Math.min(d.maxDelayMs, d.baseDelayMs * 2 ** Math.min(30, count - d.freeAttempts - 1));
}

/**
 * The longest wait any counter imposes on a new attempt now, or undefined. Pending attempts count as failures
 * (that is what makes a reservation atomic against a parallel burst); a counter that applies only after a failure
 * looks at the pair's settled failures alone, so an address's own attempts in flight never bring it into play.
 * The Redis throttle's script computes exactly this (redis/failure-throttle.ts).
 */
export function refusalOf(policy: ThrottlePolicy, counters: ReadonlyArray<CounterState | undefined>, now: number): { waitMs: number; dimension: ThrottleDimension } | undefined {
  let worst: { waitMs: number; dimension: ThrottleDimension } | undefined;
  const pairFailed = (counters[0]?.f ?? 0) > 0;
  policy.dimensions.forEach((dimension, i) => {
    const c = counters[i];
    if (!c || (dimension.onlyAfterFailure && !pairFailed)) return;
    const waitMs = c.last + throttleDelay(c.f + c.p, dimension) - now;
    if (waitMs > 0 && (!worst || waitMs > worst.waitMs)) worst = { waitMs, dimension };
  });
  return worst;
}

/**
 * A refusal as a rate-limit decision, so the 429 carries Retry-After and the same X-Rate-Limit-* / RateLimit
 * fields as a rate-limit refusal (http/rate-limit.ts). The reset is the first whole second at or after the end
 * of the wait, so Date + Retry-After equals X-Rate-Limit-Reset and a retry at that second is let through. The
 * limit is the refusing counter's allowance.
 */
export function refusalDecision(now: number, waitMs: number, dimension: ThrottleDimension, windowMs: number): RateDecision {
  const resetAt = Math.max(Math.floor(now / 1000) + 1, Math.ceil((now + waitMs) / 1000)) * 1000;
  return { allowed: false, limit: dimension.freeAttempts, remaining: 0, resetMs: resetAt - now, resetAt, window: Math.round(windowMs / 1000) };
}

/** A fixed-length key for any input (usernames and client ids can be as long as a request body). */
function keyOf(text: string): string {
  return hash('sha256', text, 'base64url');
}

/** Addresses stay readable in Redis (operators look them up); anything longer than an IPv6 address is hashed. */
function addressKey(ip: string): string {
  return ip.length <= 64 ? ip : keyOf(ip);
}

type LoginSettings = Config['loginThrottle'];
type ClientAuthSettings = Config['clientAuthThrottle'];
type PairSettings = Pick<LoginSettings, 'enabled' | 'window' | 'freeAttempts' | 'baseDelayMs' | 'maxDelayMs'>;

/** Both policies: a counter per (credential, address), forgotten on success, then one wider counter of their own. */
function pairPolicy(name: string, s: PairSettings, wider: ThrottleDimension): ThrottlePolicy {
  const pair = { name: 'pair', freeAttempts: s.freeAttempts, baseDelayMs: s.baseDelayMs, maxDelayMs: s.maxDelayMs, resetOnSuccess: true, onlyAfterFailure: false };
  return { name, enabled: s.enabled, windowMs: s.window * 1000, dimensions: [pair, wider] };
}

/**
 * Failed logins: per (username, address), forgotten on success, so someone guessing Ada's password slows only
 * themselves; and per address, much looser, against one address spraying many usernames. The address counter is
 * what stops password spraying (one guess for each of many names), so it applies to every attempt; it is also
 * what people sharing an address with an attacker feel, hence its own, larger allowance.
 */
export function loginPolicy(s: LoginSettings): ThrottlePolicy {
  return pairPolicy('login', s, { name: 'address', ...s.perAddress, resetOnSuccess: false, onlyAfterFailure: false });
}

/** The same normalisation as the user store's unique key (NFKC, case-insensitive), so "JDoe" and "ｊｄｏｅ" share one counter. */
export function loginKeys(username: string, ip: string): string[] {
  return [keyOf(`${username.normalize('NFKC').toLowerCase()}|${ip}`), addressKey(ip)];
}

/**
 * Failed client authentication (RFC 6749 §10.10): per (client, address), forgotten on success; and per client,
 * looser, counted from every address but applied only to addresses that have themselves failed for the client.
 * Guessing from many addresses is then held to about one guess per fresh address per window, while the client
 * authenticating from an address that has not failed is never slowed: nobody can lock a client out from elsewhere.
 */
export function clientAuthPolicy(s: ClientAuthSettings): ThrottlePolicy {
  return pairPolicy('client-auth', s, { name: 'client', ...s.perClient, resetOnSuccess: false, onlyAfterFailure: true });
}

/**
 * The identity a client authentication attempt claims: a client id (secrets, client_secret_jwt) or a registered
 * request-signature key. Built from the request alone, never from whether the id exists.
 */
export function clientAuthKeys(kind: 'client' | 'api_key', id: string, ip: string): string[] {
  const identity = keyOf(`${kind}\0${id}`);
  return [keyOf(`${identity}|${ip}`), identity];
}

/**
 * Failed bearer-token checks at the management endpoints (the admin API, the registration endpoint), per source
 * address: a token that is not one of this server's active tokens for this server is a guess. The client
 * authentication settings apply (a wrong token is a failed credential like a wrong secret). A success does not
 * reset the counter: any valid token of this server, an admin's or not, would otherwise wipe an address's record.
 */
export function bearerPolicy(s: ClientAuthSettings): ThrottlePolicy {
  return { name: 'bearer', enabled: s.enabled, windowMs: s.window * 1000, dimensions: [{ name: 'address', freeAttempts: s.freeAttempts, baseDelayMs: s.baseDelayMs, maxDelayMs: s.maxDelayMs, resetOnSuccess: false, onlyAfterFailure: false }] };
}

export function bearerKeys(ip: string): string[] {
  return [addressKey(ip)];
}
