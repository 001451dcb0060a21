import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, thumbprintOf, tlsPost, type Issued, type TestPki } from '../support/certificates.js';
import { makeDpopKey, makeProof } from '../support/dpop.js';
import { basic, startTestServer, type TestServer } from '../support/server.js';

const claimsOf = (jwt: unknown): Record<string, unknown> => JSON.parse(Buffer.from(String(jwt).split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

const base = { grant_types: ['client_credentials'], scope: 'read' };

describe('mutual TLS on Tessera’s own TLS listener (RFC 8705)', () => {
  let pki: TestPki;
  let s: TestServer;
  let token: string;

  beforeAll(async () => {
    pki = makeTestPki();
    const clients = [
      { ...base, client_id: 'dn', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=svc, OU=payments, O=Example, C=DE', introspect_any: true },
      { ...base, client_id: 'dn-opaque', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=svc,OU=payments,O=Example,C=DE', access_token_format: 'opaque' },
      { ...base, client_id: 'dn-oid', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: '2.5.4.3=svc,OID.2.5.4.11=payments,O=#0c074578616d706c65,countryName=DE' },
      { ...base, client_id: 'san-dns', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'SVC.example.org' },
      { ...base, client_id: 'san-uri', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_uri: 'spiffe://example.org/svc' },
      { ...base, client_id: 'san-ip', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_ip: '10.0.0.7' },
      { ...base, client_id: 'san-email', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_email: 'svc@example.org' },
      { ...base, client_id: 'self', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', x5c: [pki.der(pki.selfSigned.cert)] }] } },
      { ...base, client_id: 'secret-bound', client_secret: 'secret-bound-1', tls_client_certificate_bound_access_tokens: true },
      { ...base, client_id: 'secret-plain', client_secret: 'secret-plain-1' },
    ];
    s = await startTestServer({ doc: { clients }, env: { TESSERA_TLS_CERT: pki.server.certFile, TESSERA_TLS_KEY: pki.server.keyFile, TESSERA_TLS_CLIENT_CA: pki.ca.certFile, TESSERA_MTLS_ALIAS_BASE_URL: 'https://mtls.auth.example' } });
  });
  afterAll(async () => {
    await s?.stop();
    pki?.remove();
  });

  const tokenFor = (clientId: string, as?: Issued) => tlsPost(pki, `${s.url}/oauth/token`, { grant_type: 'client_credentials', client_id: clientId }, as);

  it('serves https and authenticates tls_client_auth by subject DN; the token is bound to the certificate (cnf x5t#S256)', async () => {
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await tokenFor('dn', pki.client);
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('Bearer');
    token = r.body.access_token as string;
    expect(claimsOf(token).cnf).toEqual({ 'x5t#S256': thumbprintOf(pki.client.cert) });
  });

  it('matches a subject DN registered with dotted OIDs, long names and a #hex value (RFC 4514 §2.3, §2.4)', async () => {
    const r = await tokenFor('dn-oid', pki.client);
    expect(r.status).toBe(200);
    expect(claimsOf(r.body.access_token).cnf).toEqual({ 'x5t#S256': thumbprintOf(pki.client.cert) });
    expect((await tokenFor('dn-oid', pki.other)).status).toBe(401);
  });

  it('accepts a DPoP proof for the mtls_endpoint_aliases token endpoint, where a certificate-presenting client sends it (RFC 8705 §5, RFC 9449 §4.3)', async () => {
    const key = await makeDpopKey();
    const dpop = await makeProof(key, { htu: 'https://mtls.auth.example/oauth/token' });
    const r = await tlsPost(pki, `${s.url}/oauth/token`, { grant_type: 'client_credentials', client_id: 'san-uri' }, pki.client, { dpop });
    expect(r.body).toMatchObject({ token_type: 'DPoP' });
    expect(claimsOf(r.body.access_token).cnf).toEqual({ jkt: key.jkt, 'x5t#S256': thumbprintOf(pki.client.cert) });
    const elsewhere = await tlsPost(pki, `${s.url}/oauth/token`, { grant_type: 'client_credentials', client_id: 'san-uri' }, pki.client, { dpop: await makeProof(key, { htu: 'https://other.example/oauth/token' }) });
    expect(elsewhere.body.error).toBe('invalid_dpop_proof');
  });

  it('introspection returns cnf (RFC 8705 §3.2)', async () => {
    const r = await tlsPost(pki, `${s.url}/oauth/introspect`, { token, client_id: 'dn' }, pki.client);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ active: true, client_id: 'dn', cnf: { 'x5t#S256': thumbprintOf(pki.client.cert) } });
  });

  it('an opaque bound token introspects with cnf too', async () => {
    const issued = await tokenFor('dn-opaque', pki.client);
    expect(issued.status).toBe(200);
    const r = await tlsPost(pki, `${s.url}/oauth/introspect`, { token: issued.body.access_token as string, client_id: 'dn-opaque' }, pki.client);
    expect(r.body).toMatchObject({ active: true, client_id: 'dn-opaque', cnf: { 'x5t#S256': thumbprintOf(pki.client.cert) } });
  });

  it.each(['san-dns', 'san-uri', 'san-ip', 'san-email'])('authenticates tls_client_auth by one subjectAltName (%s)', async (clientId) => {
    const r = await tokenFor(clientId, pki.client);
    expect(r.status).toBe(200);
    expect(claimsOf(r.body.access_token).cnf).toEqual({ 'x5t#S256': thumbprintOf(pki.client.cert) });
  });

  it('refuses a certificate with another subject DN or without the SAN (invalid_client)', async () => {
    for (const clientId of ['dn', 'san-dns', 'san-uri', 'san-ip', 'san-email']) {
      const r = await tokenFor(clientId, pki.other);
      expect(r.status, clientId).toBe(401);
      expect(r.body.error).toBe('invalid_client');
    }
  });

  it('refuses a request without a certificate with a description that says one is needed', async () => {
    const r = await tokenFor('dn');
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: 'invalid_client' });
    expect(String(r.body.error_description)).toMatch(/certificate/);
  });

  it('refuses an expired certificate from the trusted CA with the right names', async () => {
    const r = await tokenFor('san-uri', pki.expired('expired'));
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
  });

  it('refuses the right subject from a CA that tls.clientCa does not hold', async () => {
    const r = await tokenFor('dn', pki.rogue);
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
  });

  it('authenticates self_signed_tls_client_auth with the certificate registered in jwks (x5c), and binds the token', async () => {
    const r = await tokenFor('self', pki.selfSigned);
    expect(r.status).toBe(200);
    expect(claimsOf(r.body.access_token).cnf).toEqual({ 'x5t#S256': thumbprintOf(pki.selfSigned.cert) });
  });

  it('refuses self_signed_tls_client_auth with a certificate not in the jwks (even one from the trusted CA)', async () => {
    for (const as of [pki.client, pki.rogue, pki.selfSign('another-self')]) {
      const r = await tokenFor('self', as);
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
    }
  });

  it('a secret client with tls_client_certificate_bound_access_tokens gets a bound token, and is refused without a certificate', async () => {
    const bound = await tlsPost(pki, `${s.url}/oauth/token`, { grant_type: 'client_credentials' }, pki.other, { authorization: basic('secret-bound', 'secret-bound-1') });
    expect(bound.status).toBe(200);
    expect(claimsOf(bound.body.access_token).cnf).toEqual({ 'x5t#S256': thumbprintOf(pki.other.cert) });
    const refused = await tlsPost(pki, `${s.url}/oauth/token`, { grant_type: 'client_credentials' }, undefined, { authorization: basic('secret-bound', 'secret-bound-1') });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_request');
  });

  it('a client that did not opt in gets a bearer token even when it presents a certificate', async () => {
    const r = await tlsPost(pki, `${s.url}/oauth/token`, { grant_type: 'client_credentials' }, pki.client, { authorization: basic('secret-plain', 'secret-plain-1') });
    expect(r.status).toBe(200);
    expect(claimsOf(r.body.access_token).cnf).toBeUndefined();
  });

  it('metadata advertises the methods, bound tokens and the mtls_endpoint_aliases', async () => {
    const res = await new Promise<Record<string, unknown>>((resolve, reject) => {
      request(`${s.url}/.well-known/oauth-authorization-server`, { ca: pki.ca.cert, agent: false }, (r) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
      })
        .on('error', reject)
        .end();
    });
    expect(res.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']));
    expect(res.tls_client_certificate_bound_access_tokens).toBe(true);
    expect(res.mtls_endpoint_aliases).toEqual({ token_endpoint: 'https://mtls.auth.example/oauth/token', revocation_endpoint: 'https://mtls.auth.example/oauth/revoke', introspection_endpoint: 'https://mtls.auth.example/oauth/introspect' });
  });
});

describe('mutual TLS behind a TLS-terminating proxy (mtls.certificateHeader)', () => {
  let pki: TestPki;
  let trusted: TestServer;
  let untrusted: TestServer;
  beforeAll(async () => {
    pki = makeTestPki();
    const clients = [
      { ...base, client_id: 'dn', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=svc,OU=payments,O=Example,C=DE' },
      { ...base, client_id: 'self', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [{ kty: 'EC', 'x5t#S256': thumbprintOf(pki.selfSigned.cert) }] } },
    ];
    const env = { TESSERA_MTLS_CERTIFICATE_HEADER: 'X-Client-Cert', TESSERA_TLS_CLIENT_CA: pki.ca.certFile };
    trusted = await startTestServer({ doc: { clients }, env: { ...env, TESSERA_TRUST_PROXY: '127.0.0.1' } });
    untrusted = await startTestServer({ doc: { clients }, env: { ...env, TESSERA_TRUST_PROXY: '10.0.0.0/8' } });
  });
  afterAll(async () => {
    await trusted?.stop();
    await untrusted?.stop();
    pki?.remove();
  });

  const form = (clientId: string) => ({ grant_type: 'client_credentials', client_id: clientId });

  it('accepts a URL-encoded PEM (nginx $ssl_client_escaped_cert) from a trusted proxy and binds the token', async () => {
    const r = await trusted.post('/oauth/token', form('dn'), { 'x-client-cert': encodeURIComponent(pki.client.cert) });
    expect(r.status).toBe(200);
    expect(claimsOf(r.body.access_token).cnf).toEqual({ 'x5t#S256': thumbprintOf(pki.client.cert) });
  });

  it('accepts an Envoy x-forwarded-client-cert element and base64 DER', async () => {
    const xfcc = `By=spiffe://proxy;Hash=abc;Cert="${encodeURIComponent(pki.client.cert)}";Subject="CN=svc"`;
    expect((await trusted.post('/oauth/token', form('dn'), { 'x-client-cert': xfcc })).status).toBe(200);
    expect((await trusted.post('/oauth/token', form('dn'), { 'x-client-cert': pki.der(pki.client.cert) })).status).toBe(200);
    const self = await trusted.post('/oauth/token', form('self'), { 'x-client-cert': encodeURIComponent(pki.selfSigned.cert) });
    expect(self.status).toBe(200);
    expect(claimsOf(self.body.access_token).cnf).toEqual({ 'x5t#S256': thumbprintOf(pki.selfSigned.cert) });
  });

  it('checks a forwarded certificate against tls.clientCa (the proxy may accept any certificate)', async () => {
    const r = await trusted.post('/oauth/token', form('dn'), { 'x-client-cert': encodeURIComponent(pki.rogue.cert) });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
    const expired = await trusted.post('/oauth/token', form('dn'), { 'x-client-cert': encodeURIComponent(pki.expired('expired-fwd').cert) });
    expect(expired.status).toBe(401);
    expect(expired.body.error).toBe('invalid_client');
  });

  it('answers 401 invalid_client, never 400 or 500, for a header a trusted proxy sent that is no certificate', async () => {
    const junk = ['not a certificate!', '%E0%A4%A', '-----BEGIN CERTIFICATE-----AAAA-----END CERTIFICATE-----', encodeURIComponent(pki.client.cert).slice(0, 200), 'By=spiffe://proxy;Cert="%ZZ"', 'By=x;Cert="' + encodeURIComponent('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----') + '"'];
    for (const value of junk) {
      const r = await trusted.post('/oauth/token', form('dn'), { 'x-client-cert': value });
      expect(r.status, value).toBe(401);
      expect(r.body).toMatchObject({ error: 'invalid_client', error_description: 'The client certificate forwarded by the proxy cannot be parsed' });
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
    }
  });

  it('refuses a certificate header that arrives twice (a proxy that appends instead of overwriting): 401, not the first one', async () => {
    const body = new URLSearchParams(form('dn')).toString();
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const headers = ['host', new URL(trusted.url).host, 'content-type', 'application/x-www-form-urlencoded', 'x-client-cert', encodeURIComponent(pki.client.cert), 'x-client-cert', encodeURIComponent(pki.other.cert)];
      httpRequest(`${trusted.url}/oauth/token`, { method: 'POST', headers }, (res) => {
        let t = '';
        res.on('data', (c: Buffer) => (t += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: t }));
      })
        .on('error', reject)
        .end(body);
    });
    expect(JSON.parse(text)).toMatchObject({ error: 'invalid_client', error_description: 'The client certificate header is repeated' });
    expect(status).toBe(401);
  });

  it('ignores the header from a peer that is not a trusted proxy, and reports it once', async () => {
    const seen: string[] = [];
    untrusted.ctx.events.addSink({ name: 'test', accept: (e) => seen.push(e.type) });
    for (let i = 0; i < 3; i++) {
      const r = await untrusted.post('/oauth/token', form('dn'), { 'x-client-cert': encodeURIComponent(pki.client.cert) });
      expect(r.status).toBe(401);
      expect(String(r.body.error_description)).toMatch(/none was presented/);
    }
    expect(seen.filter((t) => t === 'client_certificate.untrusted_header')).toHaveLength(1);
  });
});

describe('a TLS listener without tls.clientCa', () => {
  it('never accepts tls_client_auth (Node would check the chain against its public roots)', async () => {
    const pki = makeTestPki();
    const clients = [{ ...base, client_id: 'dn', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=svc,OU=payments,O=Example,C=DE' }];
    const s = await startTestServer({ doc: { clients }, env: { TESSERA_TLS_CERT: pki.server.certFile, TESSERA_TLS_KEY: pki.server.keyFile } });
    try {
      const r = await tlsPost(pki, `${s.url}/oauth/token`, { grant_type: 'client_credentials', client_id: 'dn' }, pki.client);
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
    } finally {
      await s.stop();
      pki.remove();
    }
  });
});
