import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ed25519Backend, loadSodium, nodeEd25519, sodiumEd25519 } from '../../src/keys/ed25519.js';

const pair = () => generateKeyPairSync('ed25519');
const message = Buffer.from('eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0');

describe('Ed25519 backends', () => {
  it('loads libsodium on this platform (the benchmark numbers assume it)', () => {
    expect(loadSodium()).not.toBeNull();
    const { privateKey, publicKey } = pair();
    expect(ed25519Backend(privateKey, publicKey).name).toBe('libsodium');
  });

  for (const [name, make] of [
    ['libsodium', (k: ReturnType<typeof pair>) => sodiumEd25519(k.privateKey, k.publicKey)!],
    ['node:crypto', (k: ReturnType<typeof pair>) => nodeEd25519(k.privateKey, k.publicKey)],
  ] as const) {
    it(`${name}: signs byte-for-byte what OpenSSL signs (Ed25519 is deterministic), verifies both ways`, () => {
      const k = pair();
      const b = make(k);
      expect(b.name).toBe(name);
      for (const data of [Buffer.alloc(0), message, Buffer.alloc(5000, 7)]) {
        const sig = b.sign(data);
        expect(sig.equals(sign(null, data, k.privateKey))).toBe(true);
        expect(verify(null, data, k.publicKey, sig)).toBe(true);
        expect(b.verify(data, sign(null, data, k.privateKey))).toBe(true);
      }
    });

    it(`${name}: rejects a flipped bit anywhere, a wrong length, another key's signature`, () => {
      const k = pair();
      const b = make(k);
      const sig = b.sign(message);
      for (let i = 0; i < sig.length; i++) {
        const bad = Buffer.from(sig);
        bad[i]! ^= 1 << (i % 8);
        expect(b.verify(message, bad)).toBe(false);
      }
      const tampered = Buffer.from(message);
      tampered[3]! ^= 1;
      expect(b.verify(tampered, sig)).toBe(false);
      expect(b.verify(message, sig.subarray(0, 63))).toBe(false);
      expect(b.verify(message, Buffer.concat([sig, Buffer.alloc(1)]))).toBe(false);
      expect(b.verify(message, Buffer.alloc(0))).toBe(false);
      expect(b.verify(message, make(pair()).sign(message))).toBe(false);
    });
  }

  it('falls back to node:crypto when the addon is missing', () => {
    const { privateKey, publicKey } = pair();
    expect(sodiumEd25519(privateKey, publicKey, null)).toBeUndefined();
  });

  it('refuses a libsodium binding that does not sign what OpenSSL signs (self-test at load)', () => {
    const real = loadSodium()!;
    const broken = { ...real, crypto_sign_detached: (sig: Buffer, m: Buffer, sk: Buffer) => { real.crypto_sign_detached(sig, m, sk); sig[0]! ^= 1; } };
    const { privateKey, publicKey } = pair();
    expect(sodiumEd25519(privateKey, publicKey, broken)).toBeUndefined();
  });

  it('refuses a binding that derives another public key from the seed', () => {
    const real = loadSodium()!;
    const broken = { ...real, crypto_sign_seed_keypair: (pk: Buffer, sk: Buffer, seed: Buffer) => { real.crypto_sign_seed_keypair(pk, sk, seed); pk[0]! ^= 1; } };
    const { privateKey, publicKey } = pair();
    expect(sodiumEd25519(privateKey, publicKey, broken)).toBeUndefined();
  });
});
