import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * BIZ-API-KEY parsing (docs/compatibility.md, "Request-signature client
 * authentication"): Ed25519 as 32 raw bytes (64 hex), secp256k1 as a compressed point (66 hex,
 * `02`/`03`). Anything else, including points OpenSSL would accept but that
 * must not be trusted, is null; nothing here throws.
 */

export type ApiKeyKind = 'ed25519' | 'secp256k1';

export interface ParsedApiKey {
  kind: ApiKeyKind;
  keyObject: KeyObject;
  /** Lower-case hex, the form the SDK sends; use it to look the key up. */
  normalizedHex: string;
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** SEQUENCE { SEQUENCE { id-ecPublicKey, secp256k1 }, BIT STRING (33-byte compressed point) }. */
const SECP256K1_SPKI_PREFIX = Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex');

const ED25519_HEX = /^[0-9a-fA-F]{64}$/;
const SECP256K1_HEX = /^0[23][0-9a-fA-F]{64}$/;

const P = 2n ** 255n - 19n;
const mod = (a: bigint): bigint => ((a % P) + P) % P;

function powMod(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

const D = mod(-121665n * powMod(121666n, P - 2n));
const SQRT_M1 = powMod(2n, (P - 1n) / 4n);

/*
 * The eight points of order dividing 8, canonically encoded. OpenSSL accepts
 * them as Ed25519 public keys, and with the identity (`01 00…`) the signature
 * R = identity, S = 0 verifies for every message. Non-canonical spellings of
 * these points are already rejected by the decoding check below.
 */
const SMALL_ORDER = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
]);

/**
 * RFC 8032 §5.1.3 point decoding, kept only as a validity test: OpenSSL
 * imports any 32 bytes as an Ed25519 key, so off-curve and non-canonical
 * (y >= p, or x = 0 with the sign bit set) encodings are caught here.
 */
function isCanonicalEd25519Point(bytes: Buffer): boolean {
  const sign = (bytes[31] ?? 0) >> 7;
  const yBytes = Buffer.from(bytes);
  yBytes[31] = (yBytes[31] ?? 0) & 0x7f;
  const y = BigInt(`0x${yBytes.reverse().toString('hex')}`);
  if (y >= P) return false;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * powMod(v, 3n) * powMod(u * powMod(v, 7n), (P - 5n) / 8n));
  const vx2 = mod(v * x * x);
  if (vx2 === mod(-u)) x = mod(x * SQRT_M1);
  else if (vx2 !== u) return false;
  return !(x === 0n && sign === 1);
}

function fromSpki(kind: ApiKeyKind, prefix: Buffer, hex: string): ParsedApiKey | null {
  try {
    const der = Buffer.concat([prefix, Buffer.from(hex, 'hex')]);
    return { kind, keyObject: createPublicKey({ key: der, format: 'der', type: 'spki' }), normalizedHex: hex };
  } catch {
    return null;
  }
}

/**
 * Parses a BIZ-API-KEY header value. secp256k1 points are validated by
 * OpenSSL when it decompresses them (an x with no curve point, or x >= p,
 * fails the import); Ed25519 points are validated here.
 */
export function parseApiPublicKey(hex: string): ParsedApiKey | null {
  if (typeof hex !== 'string') return null;
  if (ED25519_HEX.test(hex)) {
    const normalized = hex.toLowerCase();
    if (SMALL_ORDER.has(normalized)) return null;
    if (!isCanonicalEd25519Point(Buffer.from(normalized, 'hex'))) return null;
    return fromSpki('ed25519', ED25519_SPKI_PREFIX, normalized);
  }
  if (SECP256K1_HEX.test(hex)) return fromSpki('secp256k1', SECP256K1_SPKI_PREFIX, hex.toLowerCase());
  return null;
}
