import { describe, expect, it } from 'vitest';
import { MemoryFailureThrottle } from '../../src/limits/memory-throttle.js';
import { clientAuthKeys, clientAuthPolicy, loginKeys, loginPolicy, refusalDecision, throttleDelay } from '../../src/limits/throttle-policy.js';
import type { Reservation, ThrottleTicket } from '../../src/limits/types.js';

const LOGIN = { enabled: true, freeAttempts: 2, baseDelayMs: 100, maxDelayMs: 1000, window: 60, perAddress: { freeAttempts: 8, baseDelayMs: 100, maxDelayMs: 1000 } };
const CLIENT_AUTH = { enabled: true, freeAttempts: 2, baseDelayMs: 100, maxDelayMs: 1000, window: 60, perClient: { freeAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 } };

function login(settings = LOGIN) {
  let now = 1_000_000;
  const t = new MemoryFailureThrottle(loginPolicy(settings), () => now);
  const wait = async (user: string, ip: string) => {
    const d = await t.peek(loginKeys(user, ip));
    return d ? d.resetAt - now : 0;
  };
  return { t, wait, advance: (ms: number) => (now += ms), now: () => now };
}

function ticket(r: Reservation): ThrottleTicket {
  if (!r.allowed) throw new Error('expected the attempt to be allowed');
  return r.ticket;
}

/** Up to `times` failed attempts; attempts the throttle refuses never reach the check, so they count nothing. */
async function fail(t: MemoryFailureThrottle, keys: string[], times: number) {
  for (let i = 0; i < times; i++) {
    const r = await t.reserve(keys);
    if (r.allowed) await r.ticket.fail();
  }
}

describe('throttleDelay', () => {
  it('is free for the allowance, then doubles from the base up to the cap', () => {
    const d = { freeAttempts: 2, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => throttleDelay(n, d))).toEqual([0, 0, 100, 200, 400, 800, 1000, 1000]);
  });
});

describe('refusalDecision', () => {
  it('counts whole seconds from the second of the decision, so Date + Retry-After is the advertised reset', () => {
    const dim = loginPolicy(LOGIN).dimensions[0]!;
    // Decided at 1000.4 s with 1.7 s to wait: free again at 1002.1 s, so the reset is 1003 s (Retry-After 3).
    const d = refusalDecision(1_000_400, 1_700, dim, 60_000);
    expect(d).toMatchObject({ allowed: false, remaining: 0, limit: 2, window: 60, resetAt: 1_003_000, resetMs: 2_600 });
    expect(refusalDecision(1_000_999, 1, dim, 60_000)).toMatchObject({ resetAt: 1_001_000, resetMs: 1 });
    expect(refusalDecision(1_000_000, 1_000, dim, 60_000)).toMatchObject({ resetAt: 1_001_000 });
  });
});

describe('MemoryFailureThrottle: login policy', () => {
  it('imposes growing delays per (username, IP) after the free attempts (delays in whole seconds from the decision)', async () => {
    const { t, advance } = login();
    const keys = loginKeys('ada', '10.0.0.1');
    await fail(t, keys, 2);
    expect(await t.peek(keys)).toBeUndefined();
    await fail(t, keys, 1);
    expect((await t.reserve(keys)).allowed).toBe(false);
    advance(100);
    await fail(t, keys, 1);
    const refused = await t.reserve(keys);
    expect(refused).toMatchObject({ allowed: false, decision: { limit: 2, remaining: 0 } });
    advance(199);
    expect(await t.peek(keys)).toBeDefined();
    advance(1);
    expect(await t.peek(keys)).toBeUndefined();
  });

  it('leaves the same username from another address alone', async () => {
    const { t } = login();
    await fail(t, loginKeys('ada', '10.0.0.1'), 5);
    expect(await t.peek(loginKeys('ada', '10.0.0.1'))).toBeDefined();
    expect(await t.peek(loginKeys('ada', '10.0.0.2'))).toBeUndefined();
  });

  it('shares one counter between case and NFKC variants of a username', async () => {
    const { t } = login();
    await fail(t, loginKeys('ADA', '10.0.0.1'), 1);
    await fail(t, loginKeys('ａｄａ', '10.0.0.1'), 1);
    await fail(t, loginKeys('ada', '10.0.0.1'), 1);
    expect(await t.peek(loginKeys('Ada', '10.0.0.1'))).toBeDefined();
  });

  it('throttles an address guessing many usernames only past its own, looser allowance', async () => {
    const { t } = login();
    for (let i = 0; i < 8; i++) await fail(t, loginKeys(`user${i}`, '10.0.0.9'), 1);
    expect(await t.peek(loginKeys('fresh-name', '10.0.0.9'))).toBeUndefined();
    await fail(t, loginKeys('user9', '10.0.0.9'), 1);
    expect(await t.peek(loginKeys('fresh-name', '10.0.0.9'))).toMatchObject({ limit: 8 });
  });

  it('a success forgets the pair, and takes back only its own attempt from the address', async () => {
    const { t } = login();
    await fail(t, loginKeys('ada', '10.0.0.1'), 3);
    await ticket(await t.reserve(loginKeys('ADA', '10.0.0.5'))).succeed();
    expect(await t.peek(loginKeys('ada', '10.0.0.1'))).toBeDefined();
    // Throttled pairs cannot even try; once allowed, a success resets them.
    const { t: t2, advance } = login();
    await fail(t2, loginKeys('ada', '10.0.0.1'), 3);
    advance(100);
    await ticket(await t2.reserve(loginKeys('ada', '10.0.0.1'))).succeed();
    expect(await t2.peek(loginKeys('ada', '10.0.0.1'))).toBeUndefined();
    // Many people logging in from one address never add up to a throttle.
    for (let i = 0; i < 50; i++) await ticket(await t2.reserve(loginKeys(`u${i}`, '10.0.0.7'))).succeed();
    expect(await t2.peek(loginKeys('someone', '10.0.0.7'))).toBeUndefined();
  });

  it('a success does not restart a delay that had run out, and a cancelled attempt counts nowhere', async () => {
    const { t, advance } = login();
    for (let i = 0; i < 9; i++) await fail(t, loginKeys(`n${i}`, '10.0.0.3'), 1);
    advance(200); // the address's delay (100 ms after the 9th failure) has run out
    await ticket(await t.reserve(loginKeys('real-user', '10.0.0.3'))).succeed();
    expect(await t.peek(loginKeys('next-user', '10.0.0.3'))).toBeUndefined();
    for (let i = 0; i < 20; i++) await ticket(await t.reserve(loginKeys('ada', '10.0.0.4'))).cancel();
    expect(await t.peek(loginKeys('ada', '10.0.0.4'))).toBeUndefined();
  });

  it('reserves atomically: of 80 parallel attempts for different usernames from one address, only the allowance + 1 go ahead', async () => {
    const { t } = login();
    const results = await Promise.all(Array.from({ length: 80 }, (_, i) => t.reserve(loginKeys(`spray${i}`, '10.0.0.8'))));
    expect(results.filter((r) => r.allowed)).toHaveLength(LOGIN.perAddress.freeAttempts + 1);
    for (const r of results) if (!r.allowed) expect(r.decision.resetMs).toBeGreaterThan(0);
  });

  it('attempts in flight count as failures until settled, so a parallel burst for one pair is cut at the allowance', async () => {
    const { t } = login();
    const keys = loginKeys('ada', '10.0.0.2');
    const burst = await Promise.all(Array.from({ length: 20 }, () => t.reserve(keys)));
    expect(burst.filter((r) => r.allowed)).toHaveLength(LOGIN.freeAttempts + 1);
  });

  it('forgets failures after the window', async () => {
    const { t, advance } = login();
    await fail(t, loginKeys('ada', '10.0.0.1'), 10);
    advance(61_000);
    expect(await t.peek(loginKeys('ada', '10.0.0.1'))).toBeUndefined();
    expect((await t.reserve(loginKeys('ada', '10.0.0.1'))).allowed).toBe(true);
  });

  it('does nothing when disabled', async () => {
    const { t } = login({ ...LOGIN, enabled: false });
    await fail(t, loginKeys('ada', '10.0.0.1'), 10);
    expect(await t.peek(loginKeys('ada', '10.0.0.1'))).toBeUndefined();
  });

  it('keeps at most maxEntries counters', async () => {
    const t = new MemoryFailureThrottle(loginPolicy(LOGIN), Date.now, 100);
    for (let i = 0; i < 500; i++) await fail(t, loginKeys(`u${i}`, `10.1.${i >> 8}.${i & 255}`), 1);
    expect((t as unknown as { counters: Map<string, unknown> }).counters.size).toBeLessThanOrEqual(100);
  });
});

describe('MemoryFailureThrottle: client-auth policy', () => {
  function clientAuth() {
    let now = 2_000_000;
    const t = new MemoryFailureThrottle(clientAuthPolicy(CLIENT_AUTH), () => now);
    return { t, advance: (ms: number) => (now += ms) };
  }

  it('slows the (client, address) pair that fails, not the same client elsewhere', async () => {
    const { t } = clientAuth();
    await fail(t, clientAuthKeys('client', 'svc', '10.0.0.1'), 3);
    expect(await t.peek(clientAuthKeys('client', 'svc', '10.0.0.1'))).toBeDefined();
    expect(await t.peek(clientAuthKeys('client', 'svc', '10.0.0.2'))).toBeUndefined();
    expect(await t.peek(clientAuthKeys('client', 'other', '10.0.0.1'))).toBeUndefined();
    expect(await t.peek(clientAuthKeys('api_key', 'svc', '10.0.0.1'))).toBeUndefined();
  });

  it('the per-client counter stops addresses that have failed, never one that has not', async () => {
    const { t } = clientAuth();
    // Failures spread over many addresses, each within its pair allowance, push the client past its own.
    for (let i = 0; i < 6; i++) await fail(t, clientAuthKeys('client', 'svc', `10.0.1.${i}`), 1);
    expect(await t.peek(clientAuthKeys('client', 'svc', '10.0.1.0'))).toMatchObject({ limit: 5 });
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => t.reserve(clientAuthKeys('client', 'svc', `10.0.1.${i % 6}`))));
    expect(burst.every((r) => !r.allowed)).toBe(true);
    // An address that never failed for svc goes ahead, even many requests at once.
    const own = await Promise.all(Array.from({ length: 3 }, () => t.reserve(clientAuthKeys('client', 'svc', '10.9.9.9'))));
    expect(own.every((r) => r.allowed)).toBe(true);
    for (const r of own) await ticket(r).succeed();
    expect(await t.peek(clientAuthKeys('client', 'svc', '10.9.9.9'))).toBeUndefined();
  });
});
