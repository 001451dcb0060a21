import { describe, expect, it } from 'vitest';
import { clientProblems } from '../../src/admin/client-rules.js';
import { formatProblem } from '../../src/admin/problems.js';
import { makeTestPki } from '../support/certificates.js';

const facts = { exists: false, providers: new Set<string>() };
const base = { client_id: 'c', grant_types: ['client_credentials'], scope: 'read' };
const problems = (item: Record<string, unknown>) => clientProblems(item, '', facts).map(formatProblem);
const tls = (over: Record<string, unknown>) => problems({ ...base, token_endpoint_auth_method: 'tls_client_auth', ...over });

describe('client rules for mutual TLS (RFC 8705)', () => {
  it('tls_client_auth takes exactly one of the subject DN and the SAN fields, each well-formed', () => {
    expect(tls({ tls_client_auth_subject_dn: 'CN=svc,O=Example,C=DE' })).toEqual([]);
    expect(tls({ tls_client_auth_san_dns: 'svc.example.org' })).toEqual([]);
    expect(tls({ tls_client_auth_san_uri: 'spiffe://example.org/svc' })).toEqual([]);
    expect(tls({ tls_client_auth_san_ip: '2001:db8::7' })).toEqual([]);
    expect(tls({ tls_client_auth_san_email: 'svc@example.org' })).toEqual([]);
    expect(tls({})).toEqual([expect.stringMatching(/^tls_client_auth_subject_dn: tls_client_auth needs exactly one of/)]);
    expect(tls({ tls_client_auth_subject_dn: 'CN=a', tls_client_auth_san_dns: 'a.example' })).toEqual([expect.stringMatching(/^tls_client_auth_san_dns: tls_client_auth takes exactly one of .*tls_client_auth_subject_dn and tls_client_auth_san_dns are set/)]);
    expect(tls({ tls_client_auth_subject_dn: 'no equals sign' })).toEqual([expect.stringMatching(/^tls_client_auth_subject_dn: must be an RFC 4514 distinguished name/)]);
    expect(tls({ tls_client_auth_san_ip: '10.0.0' })).toEqual(['tls_client_auth_san_ip: must be an IPv4 or IPv6 address']);
    expect(tls({ tls_client_auth_san_uri: 'not a uri' })).toEqual([expect.stringMatching(/^tls_client_auth_san_uri: must be an absolute URI/)]);
    expect(tls({ tls_client_auth_san_dns: 'bad name!' })).toEqual(['tls_client_auth_san_dns: must be a DNS name']);
    expect(tls({ tls_client_auth_san_email: 'nobody' })).toEqual(['tls_client_auth_san_email: must be an e-mail address']);
    expect(tls({ tls_client_auth_subject_dn: 'CN=a', client_secret: 'long-enough-1' })).toEqual(['client_secret: a tls_client_auth client authenticates with its certificate and has no secret']);
  });

  it('the certificate names belong to tls_client_auth only', () => {
    expect(problems({ ...base, client_secret: 'long-enough-1', tls_client_auth_san_dns: 'a.example' })).toEqual(['tls_client_auth_san_dns: is for token_endpoint_auth_method "tls_client_auth" only']);
  });

  it('self_signed_tls_client_auth needs jwks or jwks_uri (RFC 8705 §2.2.2); an inline jwks must name a certificate (x5c or x5t#S256)', () => {
    const pki = makeTestPki();
    try {
      const self = (over: Record<string, unknown>) => problems({ ...base, token_endpoint_auth_method: 'self_signed_tls_client_auth', ...over });
      expect(self({ jwks: { keys: [{ kty: 'EC', x5c: [pki.der(pki.selfSigned.cert)] }] } })).toEqual([]);
      expect(self({ jwks: { keys: [{ kty: 'EC', 'x5t#S256': 'abc' }] } })).toEqual([]);
      expect(self({})).toEqual(['jwks: self_signed_tls_client_auth needs jwks or jwks_uri']);
      expect(self({ jwks: { keys: [{ kty: 'EC' }] } })).toEqual([expect.stringMatching(/^jwks: self_signed_tls_client_auth needs the client certificate in a key's x5c/)]);
      expect(self({ jwks: { keys: [{ kty: 'EC', x5c: ['bm90IGEgY2VydA=='] }] } })).toEqual([
        expect.stringMatching(/^jwks: self_signed_tls_client_auth needs the client certificate/),
        'jwks.keys[0].x5c: must be an array whose first entry is a base64 DER certificate',
      ]);
      // The inline set is read first, so it must name a certificate even beside a jwks_uri.
      expect(self({ jwks: { keys: [{ kty: 'EC' }] }, jwks_uri: 'https://keys.example/jwks' })).toEqual([expect.stringMatching(/^jwks: self_signed_tls_client_auth needs the client certificate/)]);
    } finally {
      pki.remove();
    }
  });

  it('self_signed_tls_client_auth takes a jwks_uri under the URL rule of private_key_jwt (https, http only on loopback)', () => {
    for (const method of ['self_signed_tls_client_auth', 'private_key_jwt']) {
      const client = (jwks_uri: string) => problems({ ...base, token_endpoint_auth_method: method, jwks_uri });
      expect(client('https://keys.example/jwks'), method).toEqual([]);
      expect(client('http://127.0.0.1:8080/jwks'), method).toEqual([]);
      expect(client('http://localhost/jwks'), method).toEqual([]);
      expect(client('http://keys.example/jwks'), method).toEqual(['jwks_uri: must be an https URL (http only for loopback hosts)']);
      expect(client('https://user:pw@keys.example/jwks'), method).toEqual(['jwks_uri: must be an https URL (http only for loopback hosts)']);
    }
  });

  it('a public client may ask for bound tokens with or without refresh tokens (RFC 8705 §4: they follow the certificate)', () => {
    const pub = { client_id: 'p', token_endpoint_auth_method: 'none', scope: '', tls_client_certificate_bound_access_tokens: true };
    expect(problems({ ...pub, grant_types: ['password'] })).toEqual([]);
    expect(problems({ ...pub, grant_types: ['password', 'refresh_token'] })).toEqual([]);
    expect(problems({ ...base, client_secret: 'long-enough-1', grant_types: ['password', 'refresh_token'], tls_client_certificate_bound_access_tokens: true })).toEqual([]);
  });
});
