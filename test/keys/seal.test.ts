import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seal, unseal } from '../../src/keys/seal.js';

describe('seal / unseal (AES-256-GCM)', () => {
  const key = randomBytes(32);

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.string(), (bytes, aad) => {
        expect(unseal(key, seal(key, Buffer.from(bytes), aad), aad).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('uses a fresh IV each time', () => {
    expect(seal(key, Buffer.from('x'), 'a')).not.toBe(seal(key, Buffer.from('x'), 'a'));
  });

  it('a wrong master key fails with a clear message', () => {
    expect(() => unseal(randomBytes(32), seal(key, Buffer.from('secret'), 'kid'), 'kid')).toThrow(/master key/);
  });

  it('the associated data binds the ciphertext to its record', () => {
    expect(() => unseal(key, seal(key, Buffer.from('secret'), 'signing-key:a'), 'signing-key:b')).toThrow();
  });

  it('tampering with ciphertext or tag fails', () => {
    const [v, iv, ct, tag] = seal(key, Buffer.from('secret-bytes'), 'k').split('.') as [string, string, string, string];
    const flip = (s: string) => Buffer.from(Buffer.from(s, 'base64url').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64url');
    expect(() => unseal(key, [v, iv, flip(ct), tag].join('.'), 'k')).toThrow();
    expect(() => unseal(key, [v, iv, ct, flip(tag)].join('.'), 'k')).toThrow();
  });

  it('rejects unknown formats', () => {
    expect(() => unseal(key, 'v2.a.b.c', 'k')).toThrow(/format/);
    expect(() => unseal(key, 'garbage', 'k')).toThrow(/format/);
  });

  it('the plaintext never appears in the sealed text', () => {
    const sealed = seal(key, Buffer.from('VERY-SECRET-PLAINTEXT'), 'k');
    expect(sealed).not.toContain('VERY-SECRET');
    expect(Buffer.from(sealed.split('.')[2]!, 'base64url').toString()).not.toContain('VERY-SECRET');
  });
});
