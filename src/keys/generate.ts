import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { NewSigningKey, SigningAlg } from '../store/types.js';
import { seal } from './seal.js';

export const SIGNING_ALGS: readonly SigningAlg[] = ['ES256', 'EdDSA', 'RS256'];

function generatePair(alg: SigningAlg): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

/** A new signing key: kid is the RFC 7638 thumbprint, the private part sealed under the master key. */
export async function generateSigningKey(alg: SigningAlg, masterKey: Buffer): Promise<NewSigningKey> {
  const { publicKey, privateKey } = generatePair(alg);
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  const publicJwk: Record<string, unknown> = { ...jwk, kid, alg, use: 'sig' };
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return { kid, alg, publicJwk, privateKeyEncrypted: seal(masterKey, der, `signing-key:${kid}`) };
}
