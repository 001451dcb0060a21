import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateThumbprint, jwksCertificateThumbprints } from '../../../src/oauth/mtls/client-certificate.js';
import { makeTestPki, thumbprintOf, type TestPki } from '../../support/certificates.js';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.remove());

describe('certificateThumbprint', () => {
  it('is the base64url SHA-256 of the DER certificate (RFC 8705 §3.1)', () => {
    expect(certificateThumbprint(Buffer.from(pki.der(pki.client.cert), 'base64'))).toBe(thumbprintOf(pki.client.cert));
  });
});

describe('jwksCertificateThumbprints', () => {
  it('names each key\'s x5c[0] certificate and x5t#S256, and nothing else', () => {
    const jwks = {
      keys: [
        { kty: 'EC', x5c: [pki.der(pki.selfSigned.cert), pki.der(pki.ca.cert)] },
        { kty: 'EC', 'x5t#S256': 'given-thumbprint' },
        { kty: 'EC', x5c: 'not an array', 'x5t#S256': 7 },
        'not a key',
        null,
      ],
    };
    expect(jwksCertificateThumbprints(jwks)).toEqual(new Set([thumbprintOf(pki.selfSigned.cert), 'given-thumbprint']));
  });

  it.each([null, undefined, 'text', { keys: 'no array' }, { hello: 'world' }])('names none for %j', (value) => {
    expect(jwksCertificateThumbprints(value).size).toBe(0);
  });
});
