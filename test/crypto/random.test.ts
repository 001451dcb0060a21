import { describe, expect, it } from 'vitest';
import { randomId, randomToken } from '../../src/crypto/random.js';

describe('random', () => {
  it('randomToken: 256 bits, base64url, unique', () => {
    const a = randomToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url').length).toBe(32);
    expect(new Set(Array.from({ length: 100 }, () => randomToken())).size).toBe(100);
    expect(randomId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
