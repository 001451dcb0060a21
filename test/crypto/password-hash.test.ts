import { describe, expect, it } from 'vitest';
import { getDummyHash, hashSecret, isSupportedHash, verifySecret } from '../../src/crypto/password-hash.js';

describe('secret hashing (argon2id)', () => {
  it('hashes with argon2id and the documented parameters, salted', async () => {
    const h = await hashSecret('correct horse');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(isSupportedHash(h)).toBe(true);
    expect(h).not.toContain('correct horse');
    expect(await hashSecret('correct horse')).not.toBe(h);
  });

  it('verifies the right secret only', async () => {
    const h = await hashSecret('s3cret');
    expect(await verifySecret(h, 's3cret')).toBe(true);
    expect(await verifySecret(h, 's3cret ')).toBe(false);
    expect(await verifySecret(h, '')).toBe(false);
  });

  it('a malformed stored hash is a failed verification, never a throw', async () => {
    expect(await verifySecret('not-a-hash', 'x')).toBe(false);
    expect(await verifySecret('$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA', 'x')).toBe(false);
  });

  it('isSupportedHash accepts only argon2 PHC strings', () => {
    expect(isSupportedHash('$2b$10$abcdefghijklmnopqrstuv')).toBe(false);
    expect(isSupportedHash('plain')).toBe(false);
  });

  it('the dummy hash is a real argon2id hash, computed once', async () => {
    const d = await getDummyHash();
    expect(isSupportedHash(d)).toBe(true);
    expect(await getDummyHash()).toBe(d);
  });
});

describe('KDF concurrency bound', () => {
  it('many parallel verifications all complete with the right answers (queued, never dropped)', async () => {
    const phc = await hashSecret('right-password');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => verifySecret(phc, i % 2 === 0 ? 'right-password' : 'wrong')));
    expect(results).toEqual(Array.from({ length: 12 }, (_, i) => i % 2 === 0));
  });
});
