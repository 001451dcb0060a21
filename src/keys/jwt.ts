import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { SigningAlg, SigningKey } from '../store/types.js';
import { unseal } from './seal.js';
import { ed25519Backend } from './ed25519.js';

/**
 * A signing key imported once, with its JWT header pre-encoded and its sign/verify functions chosen once.
 * Signing a token is then one synchronous call (node:crypto for ES256/RS256, libsodium for Ed25519 when the
 * addon loads; ADR 0007), not a WebCrypto round trip per token, made on the event loop or on the signing
 * thread (signing-thread.ts, ADR 0009).
 */
export interface LoadedKey {
  kid: string;
  alg: SigningAlg;
  status: SigningKey['status'];
  publicJwk: Record<string, unknown>;
  publicKey: KeyObject;
  privateKey: KeyObject;
  /** base64url of {"alg","kid","typ":"at+jwt"}. */
  encodedHeader: string;
  publishUntil: number | null;
  /** Which implementation signs and verifies with this key ('node:crypto' or 'libsodium'). */
  backend: string;
  sign(data: Buffer): Buffer;
  verify(data: Buffer, signature: Buffer): boolean;
}

export function loadKey(key: SigningKey, masterKey: Buffer): LoadedKey {
  const der = unseal(masterKey, key.privateKeyEncrypted, `signing-key:${key.kid}`);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.status,
    publicJwk: key.publicJwk,
    publicKey,
    privateKey,
    encodedHeader: Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })).toString('base64url'),
    publishUntil: key.publishUntil,
    ...algorithmFor(key.alg, privateKey, publicKey),
  };
}

type KeyOperations = Pick<LoadedKey, 'backend' | 'sign' | 'verify'>;

function algorithmFor(alg: SigningAlg, privateKey: KeyObject, publicKey: KeyObject): KeyOperations {
  switch (alg) {
    case 'ES256':
      return {
        backend: 'node:crypto',
        sign: (data) => sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
        verify: (data, signature) => signature.length === 64 && verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature),
      };
    case 'EdDSA': {
      const ed = ed25519Backend(privateKey, publicKey);
      return { backend: ed.name, sign: ed.sign, verify: ed.verify };
    }
    case 'RS256':
      return {
        backend: 'node:crypto',
        sign: (data) => sign('sha256', data, privateKey),
        verify: (data, signature) => verify('sha256', data, publicKey, signature),
      };
  }
}

/** `<header>.<payload>` of a JWT: ASCII (base64url and a dot). */
export function signingInputOf(key: LoadedKey, claims: Record<string, unknown>): string {
  return `${key.encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
}

/** The compact JWS: signing input, a dot, the base64url signature. */
export function assembleJwt(signingInput: string, signature: Buffer): string {
  return `${signingInput}.${signature.toString('base64url')}`;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Verifies a JWT that claims to be one of ours: the kid must name a loaded key and the header alg must be that
 * key's alg (no alg confusion, no "none"). Returns the payload, or undefined for anything that does not verify.
 * Time-based checks are the caller's.
 */
export function verifyOwnJwt(token: string, keyByKid: (kid: string) => LoadedKey | undefined): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  if (token.length > 8192) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  if (!B64URL.test(h) || !B64URL.test(p) || !B64URL.test(s)) return undefined;
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (header === null || typeof header !== 'object') return undefined;
    const kid = header.kid;
    if (typeof kid !== 'string') return undefined;
    const key = keyByKid(kid);
    if (!key || header.alg !== key.alg) return undefined;
    if (!key.verify(Buffer.from(`${h}.${p}`), Buffer.from(s, 'base64url'))) return undefined;
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  return { header, payload };
}
