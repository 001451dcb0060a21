import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, parseRetryAfter, retryDelay } from '../src/http.js';

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-1')).toBeUndefined();
  });
});

describe('retryDelay', () => {
  const settings = fc.record({ maxRetries: fc.integer({ min: 0, max: 10 }), baseDelayMs: fc.integer({ min: 1, max: 2000 }), maxDelayMs: fc.integer({ min: 1, max: 60_000 }) });

  it('never waits longer than maxDelayMs, and gives up after maxRetries', () => {
    fc.assert(
      fc.property(settings, fc.integer({ min: 0, max: 20 }), fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }), fc.double({ min: 0, max: 0.9999, noNaN: true }), (retry, attempt, after, r) => {
        const d = retryDelay(attempt, after, retry, () => r);
        if (attempt >= retry.maxRetries) return d === undefined;
        if (after !== undefined && after > retry.maxDelayMs) return d === undefined;
        return d !== undefined && d >= 0 && d <= retry.maxDelayMs && (after === undefined || d >= after);
      }),
    );
  });

  it('grows exponentially with jitter when the server gives no Retry-After', () => {
    const retry = { ...DEFAULT_RETRY, maxRetries: 10, baseDelayMs: 100, maxDelayMs: 100_000 };
    expect(retryDelay(0, undefined, retry, () => 0)).toBe(50);
    expect(retryDelay(0, undefined, retry, () => 0.999)).toBeCloseTo(99.95);
    expect(retryDelay(3, undefined, retry, () => 0)).toBe(400);
    expect(retryDelay(2, 1000, retry, () => 0.5)).toBe(1050);
  });
});
