import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DpopKeyCache } from '../../../src/oauth/dpop/keys.js';
import { DpopProofError, normaliseHtu, verifyProof, type ProofExpectations } from '../../../src/oauth/dpop/proof.js';

/**
 * Property tests of the proof parser (RFC 9449 §4.3): whatever arrives in the DPoP header, the answer is a verified
 * proof or a DpopProofError (invalid_dpop_proof), never another exception (a 500); a proof whose signed part is
 * changed is never accepted; what a valid proof reports is what was signed; htu normalisation is idempotent.
 */
const URL_ = 'https://auth.example/oauth/token';
const NOW = 1_800_000_000;
const EXPECT: ProofExpectations = { method: 'POST', urls: [URL_], algs: new Set(['EdDSA', 'ES256']), now: NOW, maxAge: 60, skew: 5 };
const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64url');

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const jwk = publicKey.export({ format: 'jwk' });
const HEADER = b64(JSON.stringify({ typ: 'dpop+jwt', alg: 'EdDSA', jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } }));
const signed = (header: string, payload: string) => `${header}.${payload}.${b64(sign(null, Buffer.from(`${header}.${payload}`), privateKey))}`;

/** Runs verifyProof and says how it ended: 'ok', 'refused' (DpopProofError) or the unexpected error itself. */
function outcome(header: string, cache = new DpopKeyCache()): 'ok' | 'refused' | Error {
  try {
    verifyProof(header, EXPECT, cache);
    return 'ok';
  } catch (err) {
    return err instanceof DpopProofError ? 'refused' : (err as Error);
  }
}

const RUNS = { numRuns: 300 };

describe('verifyProof on arbitrary input', () => {
  it('answers any header text (unicode, commas, dots, huge) with a DpopProofError (never another exception)', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: fc.constantFrom('a', 'B', '.', '-', '_', ',', '=', ' ', '+', '/'), maxLength: 300 }), fc.base64String());
    fc.assert(
      fc.property(text, (h) => {
        expect(outcome(h)).toBe('refused');
      }),
      RUNS,
    );
  });

  it('answers any JSON in the header or payload segment, signed or not, with a DpopProofError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.boolean(), (h, p, sig) => {
        const header = b64(JSON.stringify(h) ?? 'null');
        const payload = b64(JSON.stringify(p) ?? 'null');
        const proof = sig ? signed(header, payload) : `${header}.${payload}.${b64('x')}`;
        expect(outcome(proof)).toBe('refused');
        // The real header with an arbitrary payload: the claims checks refuse it (the jsonValue is never a full claim set).
        expect(outcome(signed(HEADER, payload))).toBe('refused');
      }),
      RUNS,
    );
  });

  it('answers a header object with arbitrary members (typ, alg, jwk of any shape) with a DpopProofError', () => {
    const member = fc.oneof(fc.jsonValue(), fc.constantFrom('dpop+jwt', 'EdDSA', 'ES256', 'none', 'HS256', 'OKP', 'EC', 'RSA', 'Ed25519', 'P-256'));
    const jwkShape = fc.oneof(member, fc.record({ kty: member, crv: member, x: member, y: member, n: member, e: member, d: member }, { requiredKeys: [] }));
    fc.assert(
      fc.property(fc.record({ typ: member, alg: member, jwk: jwkShape, crit: member }, { requiredKeys: [] }), (h) => {
        const payload = b64(JSON.stringify({ jti: 'j', htm: 'POST', htu: URL_, iat: NOW }));
        expect(outcome(signed(b64(JSON.stringify(h)), payload))).toBe('refused');
      }),
      RUNS,
    );
  });
});

describe('verifyProof on valid proofs', () => {
  const claims = fc.record({
    jti: fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }),
    iat: fc.oneof(fc.integer({ min: NOW - 60, max: NOW + 5 }), fc.double({ min: NOW - 60, max: NOW + 5, noNaN: true })),
    nonce: fc.option(fc.string(), { nil: undefined }),
    extra: fc.dictionary(fc.string().filter((k) => !['jti', 'htm', 'htu', 'iat', 'nonce', 'ath', '__proto__'].includes(k)), fc.jsonValue(), { maxKeys: 3 }),
  });

  it('reports exactly the signed jti, iat and nonce, whatever other claims come along', () => {
    const cache = new DpopKeyCache();
    fc.assert(
      fc.property(claims, ({ jti, iat, nonce, extra }) => {
        const payload = b64(JSON.stringify({ ...extra, jti, htm: 'POST', htu: URL_, iat, ...(nonce !== undefined ? { nonce } : {}) }));
        const proof = verifyProof(signed(HEADER, payload), EXPECT, cache);
        expect(proof).toMatchObject({ jti, iat, nonce });
      }),
      RUNS,
    );
  });

  it('never accepts a proof whose header or payload text was changed in one character', () => {
    const cache = new DpopKeyCache();
    const payload = b64(JSON.stringify({ jti: 'j'.repeat(20), htm: 'POST', htu: URL_, iat: NOW }));
    const proof = signed(HEADER, payload);
    const signedPart = HEADER.length + 1 + payload.length;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: signedPart - 1 }), fc.constantFrom(...'ABCabc019-_.,'.split('')), (at, c) => {
        fc.pre(proof[at] !== c);
        const changed = `${proof.slice(0, at)}${c}${proof.slice(at + 1)}`;
        expect(outcome(changed, cache)).toBe('refused');
      }),
      RUNS,
    );
  });
});

describe('normaliseHtu', () => {
  it('never throws, and is idempotent on what it accepts', () => {
    fc.assert(
      fc.property(fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.string({ unit: 'binary' })), (url) => {
        const once = normaliseHtu(url);
        if (once !== undefined) expect(normaliseHtu(once)).toBe(once);
      }),
      RUNS,
    );
  });

  it('ignores query and fragment', () => {
    fc.assert(
      fc.property(fc.webUrl(), fc.webQueryParameters(), fc.webFragments(), (url, q, f) => {
        const base = normaliseHtu(url);
        fc.pre(base !== undefined && !url.includes('?') && !url.includes('#'));
        expect(normaliseHtu(`${url}?${q}#${f}`)).toBe(base);
      }),
      RUNS,
    );
  });
});
