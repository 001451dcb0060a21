import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from '../../src/limits/memory.js';

describe('MemoryRateLimiter', () => {
  it('counts down per key and refuses past the limit with the time to reset', async () => {
    const r = new MemoryRateLimiter();
    const setting = { points: 2, duration: 30 };
    const a = await r.consume('client:a', setting);
    const b = await r.consume('client:a', setting);
    const c = await r.consume('client:a', setting);
    expect([a.allowed, a.remaining, b.allowed, b.remaining, c.allowed, c.remaining]).toEqual([true, 1, true, 0, false, 0]);
    expect(c.resetMs).toBeGreaterThan(0);
    expect(c.resetMs).toBeLessThanOrEqual(30_000);
    expect((await r.consume('client:b', setting)).allowed).toBe(true);
  });

  it('equal settings in different objects share one budget; different settings count apart', async () => {
    const r = new MemoryRateLimiter();
    expect((await r.consume('client:a', { points: 2, duration: 30 })).remaining).toBe(1);
    // A re-read client carries a new setting object with the same values: still the same limiter.
    expect((await r.consume('client:a', { points: 2, duration: 30 })).remaining).toBe(0);
    expect((await r.consume('client:a', { points: 2, duration: 30 })).allowed).toBe(false);
    expect((await r.consume('client:a', { points: 3, duration: 30 })).remaining).toBe(2);
    expect((await r.consume('client:a', { points: 2, duration: 60 })).remaining).toBe(1);
  });

  it('answers synchronously, and a window reopens with its full budget once its duration has passed', () => {
    let now = 1_000_000;
    const r = new MemoryRateLimiter(() => now);
    const setting = { points: 1, duration: 10 };
    const first = r.consume('ip:1.2.3.4', setting);
    expect(first).toEqual({ allowed: true, limit: 1, remaining: 0, resetMs: 10_000, resetAt: 1_010_000, window: 10 });
    now += 4_000;
    // Every decision of one window names the same end.
    expect(r.consume('ip:1.2.3.4', setting)).toMatchObject({ allowed: false, remaining: 0, resetMs: 6_000, resetAt: 1_010_000 });
    now += 5_999;
    expect(r.consume('ip:1.2.3.4', setting).allowed).toBe(false);
    now += 1;
    expect(r.consume('ip:1.2.3.4', setting)).toMatchObject({ allowed: true, remaining: 0, resetMs: 10_000, resetAt: 1_020_000 });
  });

  it('keeps counting refused requests: a client hammering past its limit stays refused until the window closes', () => {
    let now = 0;
    const r = new MemoryRateLimiter(() => now);
    const setting = { points: 3, duration: 1 };
    const seen = Array.from({ length: 6 }, () => r.consume('client:x', setting).allowed);
    expect(seen).toEqual([true, true, true, false, false, false]);
    now = 999;
    expect(r.consume('client:x', setting).allowed).toBe(false);
    now = 1_000;
    expect(r.consume('client:x', setting).allowed).toBe(true);
  });

  it('drops closed windows as new keys arrive, so memory follows the keys of the last window', () => {
    let now = 0;
    const r = new MemoryRateLimiter(() => now, 100);
    const setting = { points: 5, duration: 1 };
    for (let i = 0; i < 100; i++) r.consume(`ip:10.0.0.${i}`, setting);
    expect(r.size).toBe(100);
    now = 1_000; // every window above has closed
    for (let i = 0; i < 1_000; i++) r.consume(`ip:10.1.${i >> 8}.${i & 255}`, setting);
    // Sweeps ran as the table grew; the 100 closed windows are gone, the 1,000 open ones stay.
    expect(r.size).toBe(1_000);
    now = 2_000;
    for (let i = 0; i < 3; i++) r.consume(`ip:10.2.0.${i}`, setting);
    expect(r.size).toBeLessThanOrEqual(1_003);
    // An open window is never dropped: its count survives a sweep.
    now = 2_500;
    for (let i = 0; i < 5; i++) r.consume('client:keep', setting);
    for (let i = 0; i < 5_000; i++) r.consume(`ip:10.3.${i >> 8}.${i & 255}`, setting);
    expect(r.consume('client:keep', setting).allowed).toBe(false);
  });
});
