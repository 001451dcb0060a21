import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { SigningAlg, SigningKey } from '../store/types.js';
import { unseal } from './seal.js';

/**
 * A signing key imported once into node:crypto KeyObjects, with its JWT header pre-encoded. Signing a token is
 * then one synchronous node:crypto call (~60 us for ES256/Ed25519), not a WebCrypto round trip per token.
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
}

export function loadKey(key: SigningKey, masterKey: Buffer): LoadedKey {
  const der = unseal(masterKey, key.privateKeyEncrypted, `signing-key:${key.kid}`);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.status,
    publicJwk: key.publicJwk,
    publicKey: createPublicKey(privateKey),
    privateKey,
    encodedHeader: Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })).toString('base64url'),
    publishUntil: key.publishUntil,
  };
}

function signBytes(alg: SigningAlg, key: KeyObject, data: Buffer): Buffer {
  switch (alg) {
    case 'ES256':
      return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, data, key);
    case 'RS256':
      return sign('sha256', data, key);
  }
}

function verifyBytes(alg: SigningAlg, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  switch (alg) {
    case 'ES256':
      return signature.length === 64 && verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    case 'EdDSA':
      return signature.length === 64 && verify(null, data, key, signature);
    case 'RS256':
      return verify('sha256', data, key, signature);
  }
}

export function signJwt(key: LoadedKey, claims: Record<string, unknown>): string {
  const signingInput = `${key.encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = signBytes(key.alg, key.privateKey, Buffer.from(signingInput));
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
    if (!verifyBytes(key.alg, key.publicKey, Buffer.from(`${h}.${p}`), Buffer.from(s, 'base64url'))) return undefined;
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  return { header, payload };
}
