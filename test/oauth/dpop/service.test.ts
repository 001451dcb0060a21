import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { DpopService, dpopReplayKey } from '../../../src/oauth/dpop/service.js';
import { DpopKeyCache, thumbprintOf } from '../../../src/oauth/dpop/keys.js';
import { normaliseHtu } from '../../../src/oauth/dpop/proof.js';
import type { ReplayGuard } from '../../../src/oauth/replay-guard.js';

const noReplay: ReplayGuard = { firstUse: async () => true };
const service = (issuer: string) => new DpopService({ ...loadConfig({}, {}), issuer }, Buffer.alloc(32, 7), noReplay, () => 1_000_000);

describe('DpopService.urlsFor (the htu a proof must name)', () => {
  it('is the issuer followed by the path as called, a profile prefix included', () => {
    const s = service('https://auth.example');
    expect(s.urlsFor('/oauth/token')).toEqual(['https://auth.example/oauth/token']);
    expect(s.urlsFor('/knetik/oauth/token')).toEqual(['https://auth.example/knetik/oauth/token']);
  });

  it('with an issuer path, only the issuer followed by the path: the origin without it is another resource', () => {
    expect(service('https://Example.COM:443/auth').urlsFor('/oauth/token')).toEqual(['https://example.com/auth/oauth/token']);
  });

  it('with mTLS endpoint aliases, also the alias host followed by the path (RFC 8705 §5)', () => {
    const base = loadConfig({}, {});
    const s = new DpopService({ ...base, issuer: 'https://auth.example', mtls: { ...base.mtls, aliasBaseUrl: 'https://mtls.auth.example/' } }, Buffer.alloc(32, 7), noReplay, () => 1_000_000);
    expect(s.urlsFor('/oauth/token')).toEqual(['https://auth.example/oauth/token', 'https://mtls.auth.example/oauth/token']);
  });
});

describe('dpopReplayKey (RFC 9449 §11.1: one use of each proof)', () => {
  const proof = { jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', jti: 'e1j3V_bKic8-LAEB', iat: 1_800_000_000 };

  it('is the same for the same proof, and differs when the key, the jti or the second of iat differs', () => {
    const k = dpopReplayKey(proof);
    expect(dpopReplayKey({ ...proof })).toBe(k);
    expect(dpopReplayKey({ ...proof, iat: proof.iat - 0.5 })).toBe(k);
    const others = [dpopReplayKey({ ...proof, jkt: 'other' }), dpopReplayKey({ ...proof, jti: 'other' }), dpopReplayKey({ ...proof, iat: proof.iat + 1 })];
    expect(new Set([k, ...others]).size).toBe(4);
  });

  it('keeps the jti and the thumbprint out of the key, and bounds its length whatever the jti', () => {
    const long = dpopReplayKey({ ...proof, jti: 'x'.repeat(256) });
    expect(dpopReplayKey(proof)).not.toContain(proof.jti);
    expect(dpopReplayKey(proof)).not.toContain(proof.jkt);
    expect(long.length).toBe(dpopReplayKey(proof).length);
  });

  it('sorts by iat, so the store appends rather than writing all over its index', () => {
    const keys = [1_799_999_999, 1_800_000_000, 1_800_000_035, 1_800_003_600, 2_000_000_000].map((iat, i) => dpopReplayKey({ ...proof, jti: `j${5 - i}`, iat }));
    expect([...keys].sort()).toEqual(keys);
  });

  it('orders any two proofs by the second of their iat, whatever their jti and key (property)', () => {
    // Up to 36^7 seconds (the year 4453): the base36 prefix keeps a fixed width, so text order is number order.
    const iat = fc.double({ min: 1, max: 36 ** 7 - 1, noNaN: true });
    fc.assert(
      fc.property(iat, iat, fc.string({ minLength: 1, maxLength: 256 }), fc.string({ minLength: 1, maxLength: 256 }), (a, b, jtiA, jtiB) => {
        fc.pre(Math.ceil(a) !== Math.ceil(b));
        const [lo, hi] = Math.ceil(a) < Math.ceil(b) ? [a, b] : [b, a];
        expect(dpopReplayKey({ ...proof, jti: jtiA, iat: lo }) < dpopReplayKey({ jkt: 'another-key', jti: jtiB, iat: hi })).toBe(true);
      }),
    );
  });

  it('does not depend on the node: the key of a proof is the same under any proof_max_age', async () => {
    const seen: string[] = [];
    const guard: ReplayGuard = { firstUse: async (key) => (seen.push(key), true) };
    for (const proofMaxAge of [30, 60, 300]) {
      const base = loadConfig({}, {});
      await new DpopService({ ...base, dpop: { ...base.dpop, proofMaxAge } }, Buffer.alloc(32, 7), guard, () => 1_000_000).spend({ ...proof, nonce: undefined, ath: undefined });
    }
    expect(new Set(seen)).toEqual(new Set([dpopReplayKey(proof)]));
  });
});

describe('normaliseHtu (RFC 9449 §4.3, RFC 3986 §6.2.2-6.2.3)', () => {
  it('drops query and fragment, lower-cases scheme and host, drops the default port, resolves dot segments', () => {
    expect(normaliseHtu('HTTPS://Auth.Example:443/a/../oauth/token?x=1#f')).toBe('https://auth.example/oauth/token');
    expect(normaliseHtu('http://auth.example:8080/oauth/token')).toBe('http://auth.example:8080/oauth/token');
  });

  it('decodes percent-encoded unreserved characters and upper-cases the hex of the others (RFC 3986 §6.2.2.1-2)', () => {
    expect(normaliseHtu('https://auth.example/%6Fauth/%74%6f%6B%65%6E')).toBe('https://auth.example/oauth/token');
    expect(normaliseHtu('https://auth.example/a%2fb%7e')).toBe('https://auth.example/a%2Fb~');
    expect(normaliseHtu('https://auth.example/a%25%32%46')).toBe('https://auth.example/a%252F');
  });

  it('refuses userinfo and characters outside RFC 3986 rather than letting WHATWG URL repair them', () => {
    for (const bad of ['https://u:p@auth.example/oauth/token', 'https://u@auth.example/oauth/token', ' https://auth.example/oauth/token', 'https://auth.example\\oauth\\token', 'https://auth.example/oauth/to\nken', 'https://auth.example/oauth/tökén']) {
      expect(normaliseHtu(bad), bad).toBeUndefined();
    }
  });

  it('refuses what is not an absolute http(s) URL', () => {
    expect(normaliseHtu('/oauth/token')).toBeUndefined();
    expect(normaliseHtu('urn:x:y')).toBeUndefined();
  });
});

describe('proof keys', () => {
  it('thumbprints per RFC 7638 (the RFC 7638 §3.1 example) and refuses a key that does not fit the alg', () => {
    const rfcKey = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
    };
    expect(thumbprintOf(rfcKey, 'RS256')).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    expect(() => thumbprintOf(rfcKey, 'ES256')).toThrow(/not a key for ES256/);
    expect(() => thumbprintOf({ kty: 'oct', k: 'AAAA' }, 'ES256')).toThrow(/private key members/);
  });

  it('refuses RSA keys under 2048 bits, and caches an imported key by thumbprint', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const cache = new DpopKeyCache();
    expect(() => cache.get(thumbprintOf(small, 'RS256'), small)).toThrow(/2048 bits/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const jkt = thumbprintOf(ec, 'ES256');
    expect(cache.get(jkt, ec)).toBe(cache.get(jkt, ec));
    expect(cache.size).toBe(1);
  });

  it('drops the oldest entry when full, and re-imports after the entry expires', () => {
    let now = 0;
    const cache = new DpopKeyCache(2, 1000, () => now);
    const keys = [1, 2, 3].map(() => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as Record<string, unknown>);
    const first = cache.get(thumbprintOf(keys[0]!, 'ES256'), keys[0]!);
    for (const k of keys.slice(1)) cache.get(thumbprintOf(k, 'ES256'), k);
    expect(cache.size).toBe(2);
    const again = cache.get(thumbprintOf(keys[0]!, 'ES256'), keys[0]!);
    expect(again).not.toBe(first);
    now = 5000;
    expect(cache.get(thumbprintOf(keys[0]!, 'ES256'), keys[0]!)).not.toBe(again);
  });
});
