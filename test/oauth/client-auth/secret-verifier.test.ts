import { describe, expect, it, vi } from 'vitest';
import * as realHash from '../../../src/crypto/password-hash.js';
import { hashSecret } from '../../../src/crypto/password-hash.js';
import { SecretVerifier } from '../../../src/oauth/client-auth/secret-verifier.js';
import { secretId } from '../../../src/crypto/secret-id.js';
import type { Client } from '../../../src/store/types.js';

// Count KDF runs while delegating to the real argon2id implementation (nothing is faked).
const kdf = vi.hoisted(() => ({ calls: [] as string[] }));
vi.mock('../../../src/crypto/password-hash.js', async (importOriginal) => {
  const actual = await importOriginal<typeof realHash>();
  return {
    ...actual,
    verifySecretFrom: async (address: string, phc: string, secret: string) => {
      kdf.calls.push(phc);
      return actual.verifySecretFrom(address, phc, secret);
    },
  };
});

/** The requests' source address (the KDF is admitted per address). */
const ADDR = '127.0.0.1';

/** A check as client-secret.ts makes it: the presented id (the record's, or an unknown one) and its record. */
async function check(v: SecretVerifier, c: Client | undefined, presented: string): Promise<boolean> {
  return (await v.verify(c?.clientId ?? 'ghost', c, presented, ADDR)) !== undefined;
}

function client(id: string, secretHash: string | null): Client {
  return {
    clientId: id, name: null, secretHash, secretEncrypted: null, secretExpiresAt: null, secretLastUsedAt: null, previousSecretHash: null, previousSecretEncrypted: null, previousSecretExpiresAt: null, previousSecretLastUsedAt: null, tokenEndpointAuthMethod: 'client_secret_basic', grantTypes: ['client_credentials'], scope: [], defaultScope: null,
    audience: null, accessTokenTtl: 3600, accessTokenFormat: 'jwt', refreshTokenTtl: null, refreshIdleTtl: null, refreshReuseInterval: 0, introspectAny: false, jwks: null,
    jwksUri: null, rateLimit: null, status: 'active', createdAt: 0, updatedAt: 0, version: 1,
  };
}

describe('SecretVerifier', () => {
  it('an unknown client runs the KDF against the dummy hash, exactly like a wrong secret runs it against the real one', async () => {
    const v = new SecretVerifier();
    const dummy = await realHash.getDummyHash();
    const c = client('svc', await hashSecret('right-secret'));
    kdf.calls.length = 0;
    expect(await check(v, undefined, 'right-secret')).toBe(false);
    expect(kdf.calls).toEqual([dummy]);
    kdf.calls.length = 0;
    expect(await check(v, c, 'wrong-secret')).toBe(false);
    expect(kdf.calls).toEqual([c.secretHash]);
    kdf.calls.length = 0;
    expect(await check(v, client('pub', null), 'x')).toBe(false);
    expect(kdf.calls).toEqual([dummy]);
  });

  it('a verified secret is remembered: the second check runs no KDF', async () => {
    const v = new SecretVerifier();
    const c = client('svc', await hashSecret('right-secret'));
    kdf.calls.length = 0;
    expect(await check(v, c, 'right-secret')).toBe(true);
    expect(await check(v, c, 'right-secret')).toBe(true);
    expect(await check(v, c, 'right-secret')).toBe(true);
    expect(kdf.calls.length).toBe(1);
  });

  it('remembered() answers from the cache only: false until a verification succeeded, never for a wrong or rotated secret', async () => {
    const v = new SecretVerifier();
    const c = client('svc', await hashSecret('right-secret'));
    expect(v.remembered(c, 'right-secret') !== undefined).toBe(false);
    expect(await check(v, c, 'wrong')).toBe(false);
    expect(v.remembered(c, 'wrong') !== undefined).toBe(false);
    expect(await check(v, c, 'right-secret')).toBe(true);
    kdf.calls.length = 0;
    expect(v.remembered(c, 'right-secret') !== undefined).toBe(true);
    expect(v.remembered(c, 'right-secret ') !== undefined).toBe(false);
    expect(v.remembered({ ...c, clientId: 'other' }, 'right-secret') !== undefined).toBe(false);
    expect(v.remembered({ ...c, secretHash: await hashSecret('right-secret') }, 'right-secret') !== undefined).toBe(false);
    expect(v.remembered({ ...c, secretHash: null }, 'right-secret') !== undefined).toBe(false);
    expect(kdf.calls.length).toBe(0);
  });

  it('failures are never cached: every wrong secret pays the KDF', async () => {
    const v = new SecretVerifier();
    const c = client('svc', await hashSecret('right-secret'));
    kdf.calls.length = 0;
    await check(v, c, 'wrong');
    await check(v, c, 'wrong');
    expect(kdf.calls.length).toBe(2);
  });

  it('a rotated secret invalidates the cached entry by construction (the entry records the stored hash it verified against)', async () => {
    const v = new SecretVerifier();
    const before = client('svc', await hashSecret('old-secret'));
    expect(await check(v, before, 'old-secret')).toBe(true);
    const after = { ...before, secretHash: await hashSecret('new-secret') };
    kdf.calls.length = 0;
    expect(await check(v, after, 'old-secret')).toBe(false);
    expect(kdf.calls.length).toBe(1);
    expect(await check(v, after, 'new-secret')).toBe(true);
  });

  it('an id containing the separator cannot borrow another pair\'s entry', async () => {
    const v = new SecretVerifier();
    const hash = await hashSecret('b\0c');
    expect(await check(v, client('a', hash), 'b\0c')).toBe(true);
    // "a" + "\0" + "b\0c" and "a\0b" + "\0" + "c" are one string without the id's length in the key.
    expect(v.remembered(client('a\0b', hash), 'c') !== undefined).toBe(false);
    expect(v.remembered(client('a', hash), 'b\0c') !== undefined).toBe(true);
  });

  it('entries are per client: the same secret for another client is verified afresh', async () => {
    const v = new SecretVerifier();
    const hash = await hashSecret('shared-secret');
    expect(await check(v, client('a', hash), 'shared-secret')).toBe(true);
    kdf.calls.length = 0;
    expect(await check(v, client('b', hash), 'shared-secret')).toBe(true);
    expect(kdf.calls.length).toBe(1);
  });

  it('two verifiers (two processes) do not share entries: the secret prefix of the cache key is per instance', async () => {
    const c = client('svc', await hashSecret('s3cret-value'));
    await check(new SecretVerifier(), c, 's3cret-value');
    kdf.calls.length = 0;
    await check(new SecretVerifier(), c, 's3cret-value');
    expect(kdf.calls.length).toBe(1);
  });

  it('stays bounded', async () => {
    const v = new SecretVerifier(undefined, 2);
    const c = client('svc', await hashSecret('s3cret-value'));
    const others = [client('x', await hashSecret('x-secret-1')), client('y', await hashSecret('y-secret-1'))];
    await check(v, c, 's3cret-value');
    await check(v, others[0]!, 'x-secret-1');
    await check(v, others[1]!, 'y-secret-1');
    kdf.calls.length = 0;
    await check(v, c, 's3cret-value');
    expect(kdf.calls.length).toBe(1);
  });

  it('concurrent checks of one (client, secret) share one KDF, for a known client right or wrong and an unknown one alike', async () => {
    const v = new SecretVerifier();
    const c = client('svc', await hashSecret('right-secret'));
    await realHash.getDummyHash();
    for (const [who, presented, expected] of [[c, 'right-secret', true], [c, 'wrong', false], [undefined, 'wrong', false]] as const) {
      kdf.calls.length = 0;
      const all = await Promise.all(Array.from({ length: 20 }, () => check(v, who, presented)));
      expect(all).toEqual(Array(20).fill(expected));
      expect(kdf.calls.length).toBe(1);
    }
    // Different secrets, or the same secret for different clients, are checked apart.
    kdf.calls.length = 0;
    await Promise.all([check(v, c, 'wrong-1'), check(v, c, 'wrong-2'), check(v, client('other', c.secretHash), 'wrong-1')]);
    expect(kdf.calls.length).toBe(3);
    // A check that finished is not shared with a later one: every later wrong secret pays the KDF again.
    kdf.calls.length = 0;
    await check(v, c, 'wrong');
    expect(kdf.calls.length).toBe(1);
  });

  it('a check running against an old stored hash is not shared with one that sees the rotated hash', async () => {
    const v = new SecretVerifier();
    const before = client('svc', await hashSecret('the-secret'));
    const after = { ...before, secretHash: await hashSecret('the-secret') };
    kdf.calls.length = 0;
    expect(await Promise.all([check(v, before, 'the-secret'), check(v, after, 'the-secret')])).toEqual([true, true]);
    expect(kdf.calls).toEqual([before.secretHash, after.secretHash]);
  });

  describe('two secrets (a rotation kept the old one)', () => {
    async function pair() {
      const current = await hashSecret('new-secret');
      const previous = await hashSecret('old-secret');
      return { ...client('svc', current), previousSecretHash: previous };
    }

    it('either secret verifies, the current one tried first; each use counts against its own secret id', async () => {
      const v = new SecretVerifier();
      const c = await pair();
      kdf.calls.length = 0;
      const old = await v.verify('svc', c, 'old-secret', ADDR);
      expect(kdf.calls).toEqual([c.secretHash, c.previousSecretHash]);
      const fresh = await v.verify('svc', c, 'new-secret', ADDR);
      expect(old?.secretId).toBe(secretId(c.previousSecretHash!));
      expect(fresh?.secretId).toBe(secretId(c.secretHash!));
      kdf.calls.length = 0;
      expect(v.remembered(c, 'old-secret')).toBe(old);
      expect(v.remembered(c, 'new-secret')).toBe(fresh);
      expect(kdf.calls).toEqual([]);
      old!.uses++;
      old!.lastUsedAt = 42;
      expect(v.usage.snapshot()).toEqual({ svc: { [secretId(c.previousSecretHash!)]: { uses: 1, last_used_at: 42 } } });
    });

    it('a wrong secret pays one KDF per live secret and is never remembered', async () => {
      const v = new SecretVerifier();
      const c = await pair();
      kdf.calls.length = 0;
      expect(await check(v, c, 'guess')).toBe(false);
      expect(kdf.calls).toEqual([c.secretHash, c.previousSecretHash]);
      expect(v.remembered(c, 'guess')).toBeUndefined();
    });

    it('an expired secret stops working at its expiry even while remembered, and is not tried again', async () => {
      let now = 1000;
      const v = new SecretVerifier(() => now);
      const c = { ...(await pair()), previousSecretExpiresAt: 1010 };
      expect(await check(v, c, 'old-secret')).toBe(true);
      now = 1009;
      expect(v.remembered(c, 'old-secret')).toBeDefined();
      now = 1010;
      expect(v.remembered(c, 'old-secret')).toBeUndefined();
      kdf.calls.length = 0;
      expect(await check(v, c, 'old-secret')).toBe(false);
      expect(kdf.calls).toEqual([c.secretHash]);
      // The current secret may expire too; with no live secret left, the dummy check keeps the timing.
      const dead = { ...c, secretExpiresAt: 1005 };
      kdf.calls.length = 0;
      expect(await check(v, dead, 'new-secret')).toBe(false);
      expect(kdf.calls).toEqual([await realHash.getDummyHash()]);
    });

    it('a removed secret stops working even while remembered (the record no longer holds its hash)', async () => {
      const v = new SecretVerifier();
      const c = await pair();
      expect(await check(v, c, 'old-secret')).toBe(true);
      const removed = { ...c, previousSecretHash: null };
      expect(v.remembered(removed, 'old-secret')).toBeUndefined();
      expect(await check(v, removed, 'old-secret')).toBe(false);
      // A rotation that moved the current secret into the kept slot keeps it remembered.
      expect(await check(v, c, 'new-secret')).toBe(true);
      kdf.calls.length = 0;
      expect(v.remembered({ ...c, secretHash: await hashSecret('newer'), previousSecretHash: c.secretHash }, 'new-secret')).toBeDefined();
    });
  });
});
