import { createHash, createHmac, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** A DPoP key pair as a client holds it: the public JWK goes into every proof. */
export interface DpopKey {
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** RFC 7638 thumbprint: the cnf.jkt of tokens bound to this key. */
  jkt: string;
}

export async function makeDpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk) };
}

export interface ProofOptions {
  htm?: string;
  htu: string;
  iat?: number;
  jti?: string;
  nonce?: string;
  /** The access token the proof is for (its SHA-256 becomes ath). */
  accessToken?: string;
  typ?: string;
  /** A header jwk other than the key's public one (e.g. with private members). */
  jwk?: JWK;
}

/** A DPoP proof (RFC 9449 §4.2) signed with `key`. */
export async function makeProof(key: DpopKey, o: ProofOptions): Promise<string> {
  const claims: Record<string, unknown> = { htm: o.htm ?? 'POST', htu: o.htu, jti: o.jti ?? randomUUID(), iat: o.iat ?? Math.floor(Date.now() / 1000) };
  if (o.nonce !== undefined) claims.nonce = o.nonce;
  if (o.accessToken !== undefined) claims.ath = createHash('sha256').update(o.accessToken).digest('base64url');
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ: o.typ ?? 'dpop+jwt', jwk: o.jwk ?? key.publicJwk }).sign(key.privateKey);
}

/**
 * A proof signed with `key` over exactly these claims (any JSON, malformed ones included) and header members
 * (typ defaults to dpop+jwt; a member set to undefined is left out).
 */
export async function signedProof(key: DpopKey, claims: unknown, header: Record<string, unknown> = {}): Promise<string> {
  const protectedHeader = { alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk, ...header } as { alg: string };
  return new CompactSign(Buffer.from(JSON.stringify(claims))).setProtectedHeader(protectedHeader).sign(key.privateKey);
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A proof with alg none (no signature), as an attacker would send it. */
export function unsignedProof(key: DpopKey, htu: string): string {
  return `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${b64({ htm: 'POST', htu, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) })}.`;
}

/** A proof MACed with HS256 under `secret`, naming an oct jwk (a symmetric algorithm is never accepted). */
export function hmacProof(secret: string, htu: string): string {
  const input = `${b64({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } })}.${b64({ htm: 'POST', htu, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
