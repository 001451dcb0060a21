import { createRequire } from 'node:module';
import { sign, verify, type KeyObject } from 'node:crypto';

/**
 * Ed25519 signing and verification for one key, by the fastest backend that proves itself correct at load
 * (ADR 0007): libsodium through the optional `sodium-native` addon signs in about half the time of node:crypto
 * on OpenSSL 3 (~20 us against ~40 us on the benchmark machine) and verifies 2-3x faster; node:crypto is the
 * fallback wherever the addon does not load (no prebuild for the platform, musl, a failed install).
 */
export interface Ed25519Backend {
  readonly name: 'libsodium' | 'node:crypto';
  sign(data: Buffer): Buffer;
  verify(data: Buffer, signature: Buffer): boolean;
}

/** The subset of sodium-native this module (and the signing thread, signing-worker.ts) uses. */
export interface Sodium {
  crypto_sign_BYTES: number;
  crypto_sign_PUBLICKEYBYTES: number;
  crypto_sign_SECRETKEYBYTES: number;
  crypto_sign_SEEDBYTES: number;
  crypto_sign_seed_keypair(pk: Buffer, sk: Buffer, seed: Buffer): void;
  crypto_sign_detached(sig: Buffer, message: Buffer, sk: Buffer): void;
  crypto_sign_verify_detached(sig: Buffer, message: Buffer, pk: Buffer): boolean;
  sodium_malloc(size: number): Buffer;
  sodium_memzero(buf: Buffer): void;
}

let sodium: Sodium | null | undefined;

/** sodium-native, or null when it is not installed or its native part does not load here. Tried once. */
export function loadSodium(): Sodium | null {
  if (sodium === undefined) {
    try {
      sodium = createRequire(import.meta.url)('sodium-native') as Sodium;
    } catch {
      sodium = null;
    }
  }
  return sodium;
}

export function nodeEd25519(privateKey: KeyObject | null, publicKey: KeyObject): Ed25519Backend {
  return {
    name: 'node:crypto',
    sign(data) {
      if (!privateKey) throw new Error('this Ed25519 key can only verify');
      return sign(null, data, privateKey);
    },
    verify: (data, signature) => signature.length === 64 && verify(null, data, publicKey, signature),
  };
}

const SELF_TEST = Buffer.from('tessera ed25519 self-test');

/**
 * libsodium for this key pair, or undefined when the addon is missing or disagrees with node:crypto. The
 * secret key lives in sodium_malloc'd memory (guard pages, locked, never in a V8 string); the seed copy made
 * to derive it is wiped.
 */
export function sodiumEd25519(privateKey: KeyObject, publicKey: KeyObject, lib: Sodium | null = loadSodium()): Ed25519Backend | undefined {
  if (!lib) return undefined;
  const jwk = privateKey.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string' || typeof jwk.x !== 'string') return undefined;
  const seed = Buffer.from(jwk.d, 'base64url');
  const pk = Buffer.alloc(lib.crypto_sign_PUBLICKEYBYTES);
  const sk = lib.sodium_malloc(lib.crypto_sign_SECRETKEYBYTES);
  try {
    if (seed.length !== lib.crypto_sign_SEEDBYTES) return undefined;
    lib.crypto_sign_seed_keypair(pk, sk, seed);
  } finally {
    lib.sodium_memzero(seed);
  }
  // The same public key, and a signature node:crypto accepts: Ed25519 is deterministic, so this proves the
  // binding signs exactly what OpenSSL would.
  if (!pk.equals(Buffer.from(jwk.x, 'base64url'))) return undefined;
  const signBytes = (data: Buffer): Buffer => {
    const sig = Buffer.allocUnsafe(lib.crypto_sign_BYTES);
    lib.crypto_sign_detached(sig, data, sk);
    return sig;
  };
  const probe = signBytes(SELF_TEST);
  if (!verify(null, SELF_TEST, publicKey, probe) || !probe.equals(sign(null, SELF_TEST, privateKey))) return undefined;
  return {
    name: 'libsodium',
    sign: signBytes,
    verify: (data, signature) => signature.length === lib.crypto_sign_BYTES && lib.crypto_sign_verify_detached(signature, data, pk),
  };
}

/** The backend for one of our Ed25519 signing keys: libsodium when it loads and agrees, else node:crypto. */
export function ed25519Backend(privateKey: KeyObject, publicKey: KeyObject): Ed25519Backend {
  return sodiumEd25519(privateKey, publicKey) ?? nodeEd25519(privateKey, publicKey);
}
