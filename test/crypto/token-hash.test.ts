import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/crypto/token-hash.js';

describe('token hashing', () => {
  it('SHA-256 hex, deterministic, not the token', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken('abc')).toBe(hashToken('abc'));
    expect(hashToken('abd')).not.toBe(hashToken('abc'));
  });

  it('hashes the UTF-8 bytes, as every stored hash was written', () => {
    for (const token of ['jalapeño', '令牌', 'a\u0000b', 'x'.repeat(5000)]) {
      expect(hashToken(token)).toBe(createHash('sha256').update(token, 'utf8').digest('hex'));
    }
  });
});
