import { describe, expect, it } from 'vitest';
import { randomId, randomJti, randomToken } from '../../src/crypto/random.js';

describe('random', () => {
  it('randomToken: 256 bits, base64url, unique', () => {
    const a = randomToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url').length).toBe(32);
    expect(new Set(Array.from({ length: 100 }, () => randomToken())).size).toBe(100);
    expect(randomId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomJti()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('hands every pooled byte out once, across refills, sizes and the three kinds', () => {
    // 4 KiB pool: 20,000 values of mixed sizes cross many refills; none may repeat.
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const v = i % 3 === 0 ? randomToken() : i % 3 === 1 ? randomId() : randomJti();
      expect(seen.has(v)).toBe(false);
      seen.add(v);
    }
  });

  it('serves sizes larger than the pool and odd sizes exactly', () => {
    expect(Buffer.from(randomToken(5000), 'base64url').length).toBe(5000);
    for (const n of [1, 7, 33, 4095, 4096]) expect(Buffer.from(randomToken(n), 'base64url').length).toBe(n);
  });

  it('looks uniform: every byte value shows up, none dominates', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 2000; i++) for (const b of Buffer.from(randomToken(32), 'base64url')) counts[b]!++;
    // 64,000 bytes: ~250 per value; a broken pool (zeros, repeats) is far outside these bounds.
    expect(Math.min(...counts)).toBeGreaterThan(150);
    expect(Math.max(...counts)).toBeLessThan(360);
  });
});
