import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DpopNonces } from '../../../src/oauth/dpop/nonces.js';

describe('DpopNonces (RFC 9449 §8, stateless across nodes)', () => {
  const master = randomBytes(32);

  it('accepts on one node the nonce another node issued (same master key), and nothing under another key', () => {
    let now = 1_000_000;
    const a = new DpopNonces(master, 300, () => now);
    const b = new DpopNonces(master, 300, () => now);
    const elsewhere = new DpopNonces(randomBytes(32), 300, () => now);
    expect(b.accepts(a.current())).toBe(true);
    expect(elsewhere.accepts(a.current())).toBe(false);
    expect(a.accepts('x'.repeat(43))).toBe(false);
    expect(a.accepts('short')).toBe(false);
    now += 1;
    expect(a.current()).toBe(b.current());
  });

  it('rotates per window and accepts a nonce for the next window only, then refuses it', () => {
    let now = 600_000; // a window boundary
    const n = new DpopNonces(master, 300, () => now);
    const first = n.current();
    now += 300;
    expect(n.current()).not.toBe(first);
    expect(n.accepts(first)).toBe(true);
    now += 300;
    expect(n.accepts(first)).toBe(false);
  });
});
