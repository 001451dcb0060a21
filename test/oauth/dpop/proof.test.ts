import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadSodium } from '../../../src/keys/ed25519.js';
import { DpopKeyCache, importProofKey, MAX_CACHED_HEADER } from '../../../src/oauth/dpop/keys.js';
import { DpopProofError, verifyProof, type ProofExpectations } from '../../../src/oauth/dpop/proof.js';

const URL_ = 'https://auth.example/oauth/token';
const NOW = 1_800_000_000;
const expect_ = (algs: string[] = ['EdDSA', 'ES256']): ProofExpectations => ({ method: 'POST', urls: [URL_], algs: new Set(algs), now: NOW, maxAge: 60, skew: 5 });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function ed25519Prover() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  const header = b64({ typ: 'dpop+jwt', alg: 'EdDSA', jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } });
  return { privateKey, header, jwk, proof: (claims: Record<string, unknown> = {}, h = header, key: KeyObject = privateKey) => {
    const input = `${h}.${b64({ jti: randomBytes(9).toString('base64url'), htm: 'POST', htu: URL_, iat: NOW, ...claims })}`;
    return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
  } };
}

describe('verifyProof with Ed25519 keys', () => {
  const sodium = loadSodium();

  it('verifies Ed25519 proofs by libsodium when the addon loads, and by node:crypto otherwise, with the same answers', () => {
    const p = ed25519Prover();
    const other = generateKeyPairSync('ed25519').privateKey;
    const withSodium = new DpopKeyCache(10, 60_000, Date.now, sodium);
    const withNode = new DpopKeyCache(10, 60_000, Date.now, null);
    expect(importProofKey(p.jwk as Record<string, unknown>, null).backend).toBe('node:crypto');
    if (sodium !== null) expect(importProofKey(p.jwk as Record<string, unknown>, sodium).backend).toBe('libsodium');
    for (let i = 0; i < 25; i++) {
      const good = p.proof();
      const forged = p.proof({}, p.header, other);
      // One flipped bit in the signature (in R or in S).
      const sig = Buffer.from(good.split('.')[2]!, 'base64url');
      sig[i % 64] = sig[i % 64]! ^ 1;
      const flipped = `${good.split('.').slice(0, 2).join('.')}.${sig.toString('base64url')}`;
      for (const cache of [withSodium, withNode]) {
        expect(verifyProof(good, expect_(), cache).jti).toBeTypeOf('string');
        expect(() => verifyProof(forged, expect_(), cache)).toThrow(/signature does not verify/);
        expect(() => verifyProof(flipped, expect_(), cache)).toThrow(/signature does not verify/);
      }
    }
  });

  it('refuses a signature of the wrong length and a key of the wrong length, whatever the backend', () => {
    const p = ed25519Prover();
    const good = p.proof();
    const short = `${good.split('.').slice(0, 2).join('.')}.${Buffer.alloc(32).toString('base64url')}`;
    for (const s of [sodium, null]) expect(() => verifyProof(short, expect_(), new DpopKeyCache(10, 60_000, Date.now, s))).toThrow(DpopProofError);
    const badKeyHeader = b64({ typ: 'dpop+jwt', alg: 'EdDSA', jwk: { kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(31, 1).toString('base64url') } });
    for (const s of [sodium, null]) expect(() => verifyProof(p.proof({}, badKeyHeader), expect_(), new DpopKeyCache(10, 60_000, Date.now, s))).toThrow(DpopProofError);
  });
});

describe('the checked-header cache', () => {
  it('checks a header once, then reuses it for every proof that carries it byte for byte', () => {
    const p = ed25519Prover();
    const cache = new DpopKeyCache();
    verifyProof(p.proof(), expect_(), cache);
    expect(cache.header(p.header)?.jkt).toBe(verifyProof(p.proof(), expect_(), cache).jkt);
    expect(cache.size).toBe(1);
  });

  it('never remembers a header that failed its checks', () => {
    const p = ed25519Prover();
    const cache = new DpopKeyCache();
    const noTyp = b64({ alg: 'EdDSA', jwk: { kty: p.jwk.kty, crv: p.jwk.crv, x: p.jwk.x } });
    expect(() => verifyProof(p.proof({}, noTyp), expect_(), cache)).toThrow(/typ dpop\+jwt/);
    expect(cache.header(noTyp)).toBeUndefined();
    const withPrivate = b64({ typ: 'dpop+jwt', alg: 'EdDSA', jwk: { ...p.privateKey.export({ format: 'jwk' }) } });
    expect(() => verifyProof(p.proof({}, withPrivate), expect_(), cache)).toThrow(/public key/);
    expect(cache.header(withPrivate)).toBeUndefined();
  });

  it('still asks the caller\'s accepted algs on a hit', () => {
    const p = ed25519Prover();
    const cache = new DpopKeyCache();
    verifyProof(p.proof(), expect_(['EdDSA']), cache);
    expect(() => verifyProof(p.proof(), expect_(['ES256']), cache)).toThrow(/alg must be one of ES256/);
  });

  it('still verifies every signature and every claim on a hit', () => {
    const p = ed25519Prover();
    const cache = new DpopKeyCache();
    verifyProof(p.proof(), expect_(), cache);
    const other = generateKeyPairSync('ed25519').privateKey;
    expect(() => verifyProof(p.proof({}, p.header, other), expect_(), cache)).toThrow(/signature does not verify/);
    expect(() => verifyProof(p.proof({ htm: 'GET' }), expect_(), cache)).toThrow(/htm must be POST/);
    expect(() => verifyProof(p.proof({ iat: NOW - 600 }), expect_(), cache)).toThrow(/too old/);
  });

  it('does not keep a header longer than MAX_CACHED_HEADER (padding cannot make the cache large)', () => {
    const p = ed25519Prover();
    const cache = new DpopKeyCache();
    const padded = b64({ typ: 'dpop+jwt', alg: 'EdDSA', jwk: { kty: p.jwk.kty, crv: p.jwk.crv, x: p.jwk.x }, pad: 'x'.repeat(MAX_CACHED_HEADER) });
    expect(verifyProof(p.proof({}, padded), expect_(), cache).jti).toBeTypeOf('string');
    expect(cache.header(padded)).toBeUndefined();
    verifyProof(p.proof(), expect_(), cache);
    expect(cache.header(p.header)).toBeDefined();
  });

  it('is bounded: a flood of fresh headers keeps at most the configured number', () => {
    const cache = new DpopKeyCache(5, 60_000);
    for (let i = 0; i < 20; i++) verifyProof(ed25519Prover().proof(), expect_(), cache);
    expect(cache.size).toBe(5);
  });
});

describe('check order', () => {
  it('checks every claim before the signature: a proof for another URL or out of its window costs no signature check', () => {
    const p = ed25519Prover();
    const cache = new DpopKeyCache();
    let verified = 0;
    verifyProof(p.proof(), expect_(), cache);
    const key = cache.header(p.header)!.key;
    const counting = { ...key, verify: (...args: Parameters<typeof key.verify>) => (verified++, key.verify(...args)) };
    cache.rememberHeader(p.header, { ...cache.header(p.header)!, key: counting });
    expect(() => verifyProof(p.proof({ htu: 'https://elsewhere.example/token' }), expect_(), cache)).toThrow(/htu/);
    expect(() => verifyProof(p.proof({ iat: NOW - 3600 }), expect_(), cache)).toThrow(/too old/);
    expect(verified).toBe(0);
    verifyProof(p.proof(), expect_(), cache);
    expect(verified).toBe(1);
  });
});
