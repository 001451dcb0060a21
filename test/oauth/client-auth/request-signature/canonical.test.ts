import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalQuery,
  innerDigest,
  signatureDigest,
  stringToSign,
} from '../../../../src/oauth/client-auth/request-signature/index.js';

interface CoboFixture {
  case: string;
  request: { method: string; path: string; query: string; body: string; headers: [string, string][] } | null;
  signature?: { str_to_sign: string; digest_sha256_sha256_hex: string };
}

const wireDir = new URL('../../../fixtures/wire/', import.meta.url);
const fixtures = readdirSync(wireDir)
  .filter((name) => name.startsWith('cobo-') && name.endsWith('.json'))
  .map((name) => JSON.parse(readFileSync(new URL(name, wireDir), 'utf8')) as CoboFixture);
const signed = fixtures.filter((f) => f.signature !== undefined && f.request !== null);

function header(f: CoboFixture, name: string): string {
  const found = f.request?.headers.find(([k]) => k.toLowerCase() === name.toLowerCase());
  if (found === undefined) throw new Error(`${f.case}: no ${name}`);
  return found[1];
}

/** How the SDK's HTTP layer (superagent/qs, RFC 3986) writes a query component. */
const wireEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** How the SDK writes the signed query component. */
const sdkEncode = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');

describe('fixtures: string to sign and digest, byte for byte', () => {
  it('has signed fixtures to check (both curves, GET and POST)', () => {
    expect(signed.length).toBeGreaterThanOrEqual(10);
  });

  it.each(signed.map((f) => [f.case, f] as const))('%s', (_name, f) => {
    const req = f.request!;
    const str = stringToSign({
      method: req.method,
      path: req.path,
      nonce: header(f, 'BIZ-API-NONCE'),
      rawQuery: req.query,
      rawBody: req.body,
    });
    expect(str).toBe(f.signature!.str_to_sign);
    expect(signatureDigest(str!).toString('hex')).toBe(f.signature!.digest_sha256_sha256_hex);
    const asBytes = stringToSign({
      method: req.method,
      path: req.path,
      nonce: header(f, 'BIZ-API-NONCE'),
      rawQuery: req.query,
      rawBody: Buffer.from(req.body, 'utf8'),
    });
    expect(asBytes).toBe(str);
  });
});

describe('canonicalQuery', () => {
  it('re-encodes the special-chars wire query the SDK way: space to +, !\'()*~ literal', () => {
    expect(canonicalQuery('client_id=app%20id%21%27%28%29%2A~&org_id=org%2F%C3%BC%2B1&grant_type=org_implicit')).toBe(
      "client_id=app+id!'()*~&org_id=org%2F%C3%BC%2B1&grant_type=org_implicit",
    );
  });

  it('reads + on the wire as a space, as Fastify and URLSearchParams do', () => {
    expect(canonicalQuery('a=x+y')).toBe('a=x+y');
    expect(canonicalQuery('a=x%20y')).toBe('a=x+y');
    expect(canonicalQuery('a=x%2By')).toBe('a=x%2By');
    expect(new URLSearchParams('a=x+y').get('a')).toBe('x y');
  });

  it('leaves unreserved ~ alone whether or not it was escaped', () => {
    expect(canonicalQuery('a=%7E~')).toBe('a=~~');
  });

  it('drops empty values, bare keys and empty segments', () => {
    expect(canonicalQuery('a=&b&&c=1&')).toBe('c=1');
    expect(canonicalQuery('')).toBe('');
    expect(canonicalQuery('=x')).toBe('=x');
  });

  it('drops a trailing _ cache-buster only when it is the last parameter', () => {
    expect(canonicalQuery('a=1&_=1700000017000')).toBe('a=1');
    expect(canonicalQuery('a=1&%5F=1700000017000')).toBe('a=1');
    expect(canonicalQuery('a=1&_=1700000017000&')).toBe('a=1');
    expect(canonicalQuery('_=1&a=1')).toBe('_=1&a=1');
    expect(canonicalQuery('a=1&__=2')).toBe('a=1&__=2');
    expect(canonicalQuery('a=1&_=2&_=3')).toBe('a=1&_=2');
  });

  it('keeps duplicates in arrival order and encodes keys like values', () => {
    expect(canonicalQuery('b=2&a=1&b=3')).toBe('b=2&a=1&b=3');
    expect(canonicalQuery('a%3Dx%26b=1')).toBe('a%3Dx%26b=1');
    expect(canonicalQuery('k%20y=v')).toBe('k+y=v');
  });

  it('returns null on malformed percent-encoding or invalid UTF-8', () => {
    for (const raw of ['a=%', 'a=%zz', 'a=%F', 'a=%FF', 'a=%C3', 'a=%ED%A0%80', '%=1', 'a=\uD800']) {
      expect(canonicalQuery(raw), raw).toBeNull();
    }
  });

  it('never throws on arbitrary strings, including lone surrogates', () => {
    const queryish = fc.string({
      unit: fc.constantFrom('%', '&', '=', '+', '_', 'a', 'F', 'f', '0', '2', '9', 'C', '3', ' ', 'ü', '\uD800', '~'),
    });
    for (const arb of [fc.string({ unit: 'binary' }), queryish]) {
      fc.assert(
        fc.property(arb, (raw) => {
          const out = canonicalQuery(raw);
          return out === null || typeof out === 'string';
        }),
        { numRuns: 500 },
      );
    }
  });

  const pairsArb = fc.array(
    fc.tuple(fc.string({ unit: 'grapheme', minLength: 1 }), fc.string({ unit: 'grapheme' })),
    { maxLength: 8 },
  );
  const expected = (pairs: [string, string][]): [string, string][] => {
    const kept = pairs.at(-1)?.[0] === '_' ? pairs.slice(0, -1) : pairs;
    return kept.filter(([, v]) => v !== '');
  };

  it('gives the SDK form for any key/value list sent the SDK wire way', () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        const wire = pairs.map(([k, v]) => `${wireEncode(k)}=${wireEncode(v)}`).join('&');
        const want = expected(pairs)
          .map(([k, v]) => `${sdkEncode(k)}=${sdkEncode(v)}`)
          .join('&');
        expect(canonicalQuery(wire)).toBe(want);
        expect(canonicalQuery(wire.replace(/%20/g, '+'))).toBe(want);
      }),
      { numRuns: 500 },
    );
  });

  it('is unambiguous: URLSearchParams reads back exactly the signed pairs', () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        const wire = pairs.map(([k, v]) => `${wireEncode(k)}=${wireEncode(v)}`).join('&');
        expect([...new URLSearchParams(canonicalQuery(wire)!)]).toEqual(expected(pairs));
      }),
      { numRuns: 500 },
    );
  });
});

describe('stringToSign', () => {
  const base = { method: 'GET', path: '/oauth/token', nonce: '1700000000000', rawQuery: 'a=1', rawBody: '' };

  it('signs the query and body whatever the method', () => {
    expect(stringToSign({ ...base, method: 'POST', rawBody: '{}' })).toBe('POST|/oauth/token|1700000000000|a=1|{}');
    expect(stringToSign({ ...base, rawBody: 'x' })).toBe('GET|/oauth/token|1700000000000|a=1|x');
  });

  it('keeps the body verbatim, | included', () => {
    expect(stringToSign({ ...base, rawQuery: '', rawBody: '{"a":"|"}' })).toBe('GET|/oauth/token|1700000000000||{"a":"|"}');
  });

  it('returns null when fields could shift or bytes would be lost', () => {
    expect(stringToSign({ ...base, path: '/a|1' })).toBeNull();
    expect(stringToSign({ ...base, method: 'G|T' })).toBeNull();
    expect(stringToSign({ ...base, nonce: '1|2' })).toBeNull();
    expect(stringToSign({ ...base, rawQuery: 'a=%zz' })).toBeNull();
    expect(stringToSign({ ...base, rawBody: Buffer.from([0x7b, 0xff, 0x7d]) })).toBeNull();
    expect(stringToSign({ ...base, rawBody: '\uDC00' })).toBeNull();
    expect(stringToSign({ ...base, rawBody: '\uD83D\uDE00' })).toBe('GET|/oauth/token|1700000000000|a=1|\uD83D\uDE00');
  });

  it('keeps a UTF-8 byte order mark in a byte body', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]);
    expect(stringToSign({ ...base, rawBody: bom })).toBe('GET|/oauth/token|1700000000000|a=1|\uFEFF{}');
  });
});

describe('digests', () => {
  it('outer digest is SHA-256 over the 32 raw inner bytes, not over its hex', () => {
    const inner = innerDigest('abc');
    expect(inner.toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(signatureDigest('abc').toString('hex')).toBe(
      '4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358',
    );
  });
});
