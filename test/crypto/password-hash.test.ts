import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { configureKdfAdmission, getDummyHash, hashSecret, isSupportedHash, KdfRefusal, kdfLoad, resolveKdfConcurrency, setKdfConcurrency, verifySecret, verifySecretFrom } from '../../src/crypto/password-hash.js';

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

describe('kdfConcurrency', () => {
  it("'auto' is the cores a process may use: all of them alone, a share with several workers, never zero", () => {
    const cores = availableParallelism();
    expect(resolveKdfConcurrency('auto', 1)).toBe(cores);
    expect(resolveKdfConcurrency('auto', 'auto')).toBe(1);
    expect(resolveKdfConcurrency('auto', cores * 4)).toBe(1);
    expect(resolveKdfConcurrency(3, 8)).toBe(3);
  });

  it('runs at most the configured number at once, queues the rest, and a raised limit starts queued work', async () => {
    const before = kdfLoad().limit;
    const h = await hashSecret('limit-test');
    try {
      setKdfConcurrency(1);
      const all = [verifySecret(h, 'limit-test'), verifySecret(h, 'limit-test'), verifySecret(h, 'nope')];
      expect(kdfLoad()).toEqual({ running: 1, waiting: 2, limit: 1 });
      setKdfConcurrency(3);
      expect(kdfLoad()).toEqual({ running: 3, waiting: 0, limit: 3 });
      expect(await Promise.all(all)).toEqual([true, true, false]);
      expect(kdfLoad().running).toBe(0);
      // Lowered while busy: running work finishes, new work respects the new limit.
      setKdfConcurrency(2);
      const more = [verifySecret(h, 'limit-test'), verifySecret(h, 'limit-test'), verifySecret(h, 'limit-test')];
      expect(kdfLoad()).toMatchObject({ running: 2, waiting: 1 });
      setKdfConcurrency(1);
      expect(await Promise.all(more)).toEqual([true, true, true]);
      expect(kdfLoad()).toMatchObject({ running: 0, waiting: 0 });
      expect(() => setKdfConcurrency(0)).toThrow(RangeError);
    } finally {
      setKdfConcurrency(before);
    }
  });
});

describe('KDF admission of requests (verifySecretFrom)', () => {
  it('admits per source address; operator tools (verifySecret) are never refused', async () => {
    const before = kdfLoad().limit;
    const h = await hashSecret('admission-test');
    try {
      setKdfConcurrency(1);
      configureKdfAdmission({ maxQueue: 10, maxWaitMs: 60_000, perAddress: 1 });
      const first = verifySecretFrom('192.0.2.1', h, 'admission-test');
      const refused = verifySecretFrom('192.0.2.1', h, 'admission-test').catch((e: unknown) => e);
      const other = verifySecretFrom('192.0.2.2', h, 'wrong');
      const operator = [verifySecret(h, 'admission-test'), verifySecret(h, 'admission-test')];
      const err = await refused;
      expect(err).toBeInstanceOf(KdfRefusal);
      expect((err as KdfRefusal).reason).toBe('address_budget');
      expect(await Promise.all([first, other, ...operator])).toEqual([true, false, true, true]);
      // A malformed stored hash is still a failed verification, not a refusal.
      expect(await verifySecretFrom('192.0.2.1', 'not-a-hash', 'x')).toBe(false);
    } finally {
      setKdfConcurrency(before);
      configureKdfAdmission({ maxQueue: 128, maxWaitMs: 1000, perAddress: 8 });
    }
  });
});
