import { describe, expect, it, vi } from 'vitest';
import * as realHash from '../../../src/crypto/password-hash.js';
import { hashSecret } from '../../../src/crypto/password-hash.js';
import { SecretVerifier } from '../../../src/oauth/client-auth/secret-verifier.js';
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

function client(id: string, secretHash: string | null): Client {
  return {
    clientId: id, name: null, secretHash, secretEncrypted: null, tokenEndpointAuthMethod: 'client_secret_basic', grantTypes: ['client_credentials'], scope: [], defaultScope: null,
    audience: null, accessTokenTtl: 3600, accessTokenFormat: 'jwt', refreshTokenTtl: null, refreshIdleTtl: null, refreshReuseInterval: 0, introspectAny: false, jwks: null,
    jwksUri: null, rateLimit: null, status: 'active', createdAt: 0, updatedAt: 0,
  };
}

describe('SecretVerifier', () => {
  it('an unknown client runs the KDF against the dummy hash, exactly like a wrong secret runs it against the real one', async () => {
    const v = new SecretVerifier();
    const dummy = await realHash.getDummyHash();
    const c = client('svc', await hashSecret('right-secret'));
    kdf.calls.length = 0;
    expect(await v.verify(undefined, 'right-secret', ADDR)).toBe(false);
    expect(kdf.calls).toEqual([dummy]);
    kdf.calls.length = 0;
    expect(await v.verify(c, 'wrong-secret', ADDR)).toBe(false);
    expect(kdf.calls).toEqual([c.secretHash]);
    kdf.calls.length = 0;
    expect(await v.verify(client('pub', null), 'x', ADDR)).toBe(false);
    expect(kdf.calls).toEqual([dummy]);
  });

  it('a verified secret is remembered: the second check runs no KDF', async () => {
    const v = new SecretVerifier();
    const c = client('svc', await hashSecret('right-secret'));
    kdf.calls.length = 0;
    expect(await v.verify(c, 'right-secret', ADDR)).toBe(true);
    expect(await v.verify(c, 'right-secret', ADDR)).toBe(true);
    expect(await v.verify(c, 'right-secret', ADDR)).toBe(true);
    expect(kdf.calls.length).toBe(1);
  });

  it('remembered() answers from the cache only: false until a verification succeeded, never for a wrong or rotated secret', async () => {
    const v = new SecretVerifier();
    const c = client('svc', await hashSecret('right-secret'));
    expect(v.remembered(c, 'right-secret')).toBe(false);
    expect(await v.verify(c, 'wrong', ADDR)).toBe(false);
    expect(v.remembered(c, 'wrong')).toBe(false);
    expect(await v.verify(c, 'right-secret', ADDR)).toBe(true);
    kdf.calls.length = 0;
    expect(v.remembered(c, 'right-secret')).toBe(true);
    expect(v.remembered(c, 'right-secret ')).toBe(false);
    expect(v.remembered({ ...c, clientId: 'other' }, 'right-secret')).toBe(false);
    expect(v.remembered({ ...c, secretHash: await hashSecret('right-secret') }, 'right-secret')).toBe(false);
    expect(v.remembered({ ...c, secretHash: null }, 'right-secret')).toBe(false);
    expect(kdf.calls.length).toBe(0);
  });

  it('failures are never cached: every wrong secret pays the KDF', async () => {
    const v = new SecretVerifier();
    const c = client('svc', await hashSecret('right-secret'));
    kdf.calls.length = 0;
    await v.verify(c, 'wrong', ADDR);
    await v.verify(c, 'wrong', ADDR);
    expect(kdf.calls.length).toBe(2);
  });

  it('a rotated secret invalidates the cached entry by construction (the entry records the stored hash it verified against)', async () => {
    const v = new SecretVerifier();
    const before = client('svc', await hashSecret('old-secret'));
    expect(await v.verify(before, 'old-secret', ADDR)).toBe(true);
    const after = { ...before, secretHash: await hashSecret('new-secret') };
    kdf.calls.length = 0;
    expect(await v.verify(after, 'old-secret', ADDR)).toBe(false);
    expect(kdf.calls.length).toBe(1);
    expect(await v.verify(after, 'new-secret', ADDR)).toBe(true);
  });

  it('an id containing the separator cannot borrow another pair\'s entry', async () => {
    const v = new SecretVerifier();
    const hash = await hashSecret('b\0c');
    expect(await v.verify(client('a', hash), 'b\0c', ADDR)).toBe(true);
    // "a" + "\0" + "b\0c" and "a\0b" + "\0" + "c" are one string without the id's length in the key.
    expect(v.remembered(client('a\0b', hash), 'c')).toBe(false);
    expect(v.remembered(client('a', hash), 'b\0c')).toBe(true);
  });

  it('entries are per client: the same secret for another client is verified afresh', async () => {
    const v = new SecretVerifier();
    const hash = await hashSecret('shared-secret');
    expect(await v.verify(client('a', hash), 'shared-secret', ADDR)).toBe(true);
    kdf.calls.length = 0;
    expect(await v.verify(client('b', hash), 'shared-secret', ADDR)).toBe(true);
    expect(kdf.calls.length).toBe(1);
  });

  it('two verifiers (two processes) do not share entries: the secret prefix of the cache key is per instance', async () => {
    const c = client('svc', await hashSecret('s3cret-value'));
    await new SecretVerifier().verify(c, 's3cret-value', ADDR);
    kdf.calls.length = 0;
    await new SecretVerifier().verify(c, 's3cret-value', ADDR);
    expect(kdf.calls.length).toBe(1);
  });

  it('stays bounded', async () => {
    const v = new SecretVerifier(2);
    const c = client('svc', await hashSecret('s3cret-value'));
    const others = [client('x', await hashSecret('x-secret-1')), client('y', await hashSecret('y-secret-1'))];
    await v.verify(c, 's3cret-value', ADDR);
    await v.verify(others[0]!, 'x-secret-1', ADDR);
    await v.verify(others[1]!, 'y-secret-1', ADDR);
    kdf.calls.length = 0;
    await v.verify(c, 's3cret-value', ADDR);
    expect(kdf.calls.length).toBe(1);
  });
});
