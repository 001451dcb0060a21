import { createHash, verify } from 'node:crypto';
import type { ParsedApiKey } from './keys.js';

/** secp256k1 group order. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SECP256K1_HALF_N = SECP256K1_N >> 1n;

const EVEN_HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** One DER INTEGER at `offset`: minimal, positive, at most 33 bytes. */
function readDerInteger(der: Buffer, offset: number): { value: bigint; next: number } | null {
  const length = der[offset + 1];
  if (der[offset] !== 0x02 || length === undefined || length < 1 || length > 33) return null;
  const body = der.subarray(offset + 2, offset + 2 + length);
  if (body.length !== length) return null;
  const first = body[0] ?? 0;
  if (first & 0x80) return null;
  if (length > 1 && first === 0 && ((body[1] ?? 0) & 0x80) === 0) return null;
  return { value: BigInt(`0x${body.toString('hex')}`), next: offset + 2 + length };
}

/**
 * Strict DER ECDSA-Sig-Value with 0 < r < n and 0 < s <= n/2. OpenSSL checks
 * the DER encoding but accepts either s; the SDK (elliptic, `canonical: true`)
 * always sends the low one, so a high-S signature can only be a third party's
 * re-spelling (s -> n - s) of one the client made, and is refused.
 */
function isLowSDerSignature(der: Buffer): boolean {
  if (der.length < 8 || der.length > 72 || der[0] !== 0x30 || der[1] !== der.length - 2) return false;
  const r = readDerInteger(der, 2);
  if (r === null) return false;
  const s = readDerInteger(der, r.next);
  if (s === null || s.next !== der.length) return false;
  return r.value > 0n && r.value < SECP256K1_N && s.value > 0n && s.value <= SECP256K1_HALF_N;
}

/**
 * Verifies BIZ-API-SIGNATURE (docs/compatibility.md, "What is signed"). Ed25519 signs the 32-byte
 * outer digest; secp256k1 signs the outer digest as an ECDSA hash, which node
 * reaches by hashing the inner digest with SHA-256. The inner digest must hash
 * to the outer one, so a caller cannot pair digests of different strings.
 * Malformed hex, lengths or DER give false, never an exception.
 */
export function verifyRequestSignature(
  key: ParsedApiKey,
  digestOuter: Buffer,
  digestInner: Buffer,
  signatureHex: string,
): boolean {
  if (typeof signatureHex !== 'string' || !EVEN_HEX.test(signatureHex)) return false;
  if (digestOuter.length !== 32 || digestInner.length !== 32) return false;
  if (!createHash('sha256').update(digestInner).digest().equals(digestOuter)) return false;
  const signature = Buffer.from(signatureHex, 'hex');
  try {
    if (key.kind === 'ed25519') {
      return (
        key.keyObject.asymmetricKeyType === 'ed25519' &&
        signature.length === 64 &&
        verify(null, digestOuter, key.keyObject, signature)
      );
    }
    return (
      key.keyObject.asymmetricKeyType === 'ec' &&
      isLowSDerSignature(signature) &&
      verify('sha256', digestInner, key.keyObject, signature)
    );
  } catch {
    return false;
  }
}

export type NonceCheck = 'ok' | 'malformed' | 'stale';

/*
 * The SDK sends String(Date.now()): digits, no sign, exponent or leading zero.
 * Refusing leading zeros gives each instant one spelling, so a replay cache
 * keyed on the nonce string cannot be sidestepped by `0` padding. Sixteen
 * digits reach past 2^53, where Number loses a millisecond or two; such
 * nonces are millennia away from any real clock and come out stale anyway.
 */
const NONCE = /^[1-9][0-9]{0,15}$/;

/** Format and freshness of BIZ-API-NONCE; the caller still records it as used (README step 4). */
export function checkNonce(nonce: string, nowMs: number, windowMs: number): NonceCheck {
  if (typeof nonce !== 'string' || !NONCE.test(nonce)) return 'malformed';
  return Math.abs(Number(nonce) - nowMs) <= windowMs ? 'ok' : 'stale';
}
