import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { DpopService } from '../../../src/oauth/dpop/service.js';
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

  it('with an issuer path, also the origin followed by the path (proxies that do not strip the path)', () => {
    expect(service('https://Example.COM:443/auth').urlsFor('/oauth/token')).toEqual(['https://example.com/auth/oauth/token', 'https://example.com/oauth/token']);
  });
});

describe('DpopService.urlsFor with an mTLS alias host (RFC 8705 §5)', () => {
  it('also accepts the alias URL: a client that presents a certificate sends its proof for the alias endpoint', () => {
    const config = loadConfig({}, {});
    const s = new DpopService({ ...config, issuer: 'https://auth.example', mtls: { ...config.mtls, aliasBaseUrl: 'https://MTLS.auth.example/' } }, Buffer.alloc(32, 7), noReplay, () => 1_000_000);
    expect(s.urlsFor('/oauth/token')).toEqual(['https://auth.example/oauth/token', 'https://mtls.auth.example/oauth/token']);
  });
});

describe('normaliseHtu (RFC 9449 §4.3, RFC 3986 §6.2.2-6.2.3)', () => {
  it('drops query and fragment, lower-cases scheme and host, drops the default port, resolves dot segments', () => {
    expect(normaliseHtu('HTTPS://Auth.Example:443/a/../oauth/token?x=1#f')).toBe('https://auth.example/oauth/token');
    expect(normaliseHtu('http://auth.example:8080/oauth/token')).toBe('http://auth.example:8080/oauth/token');
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
