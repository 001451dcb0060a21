import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../../support/server.js';
import { makeApiKey, signedHeaders, type TestApiKey } from '../../support/cobo.js';

/** The cobo profile's own rules and errors, under a prefix and at the root beside the RFC endpoint. */
const ORG = 'org-1';
const SECRET = 'standard-secret-123';
let key: TestApiKey;
let v2: TestServer;
let root: TestServer;

const doc = () => ({
  clients: [
    { client_id: 'app', token_endpoint_auth_method: 'request_signature', grant_types: ['org_implicit', 'refresh_token'], scope: 'wallet:read', api_keys: [key.publicHex] },
    { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
  ],
  organizations: [{ id: ORG, name: 'Org' }],
  installations: [{ org_id: ORG, client_id: 'app', scope: 'wallet:read' }],
});

beforeAll(async () => {
  key = makeApiKey('ed25519');
  [v2, root] = await Promise.all([startTestServer({ doc: doc(), env: { TESSERA_PROFILES: 'cobo=/v2' } }), startTestServer({ doc: doc(), env: { TESSERA_PROFILES: 'cobo' } })]);
});
afterAll(async () => Promise.all([v2?.stop(), root?.stop()]));

async function call(s: TestServer, method: string, path: string, opts: { query?: string; body?: string; headers?: Record<string, string>; sign?: boolean } = {}) {
  const query = opts.query ?? '';
  const signed = opts.sign === false ? {} : signedHeaders(key, { method, path, query, body: opts.body ?? '' });
  const res = await fetch(`${s.url}${path}${query ? `?${query}` : ''}`, { method, headers: { ...signed, ...(opts.headers ?? {}) }, ...(opts.body !== undefined ? { body: opts.body } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const GET_QUERY = `client_id=app&org_id=${ORG}&grant_type=org_implicit`;
const json = { 'content-type': 'application/json' };

describe('cobo profile under /v2', () => {
  it('answers the signed GET with exactly the fields Cobo reads', async () => {
    const r = await call(v2, 'GET', '/v2/oauth/token', { query: GET_QUERY + '&_=' + Date.now() });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(r.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    expect(typeof r.body.expires_in).toBe('number');
  });

  it('answers the signed JSON refresh with 201', async () => {
    const first = await call(v2, 'GET', '/v2/oauth/token', { query: GET_QUERY });
    const body = JSON.stringify({ client_id: 'app', grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
    const r = await call(v2, 'POST', '/v2/oauth/token', { body, headers: json });
    expect(r.status).toBe(201);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(r.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
  });

  it.each([
    ['malformed JSON', '{"grant_type":'],
    ['an empty object', '{}'],
    ['a JSON array', '[]'],
    ['a non-string value', '{"grant_type":"refresh_token","refresh_token":42}'],
    ['another grant type', '{"grant_type":"client_credentials"}'],
    ['no refresh_token', '{"client_id":"app","grant_type":"refresh_token"}'],
    ['a repeated parameter', '{"client_id":"app","grant_type":"refresh_token","refresh_token":"a","refresh_token":"b"}'],
    ['a parameter repeated under an escaped name', '{"client_id":"app","grant_type":"refresh_token","refresh_token":"a","refresh_\\u0074oken":"b"}'],
  ])('refuses %s in the JSON body with 400 invalid_request', async (_what, body) => {
    const r = await call(v2, 'POST', '/v2/oauth/token', { body, headers: json });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
  });

  it('refuses a repeated refresh_token without spending the genuine one', async () => {
    const first = await call(v2, 'GET', '/v2/oauth/token', { query: GET_QUERY });
    const rt = first.body.refresh_token as string;
    const twice = `{"client_id":"app","grant_type":"refresh_token","refresh_token":"${rt}","refresh_token":"${rt}"}`;
    const r = await call(v2, 'POST', '/v2/oauth/token', { body: twice, headers: json });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
    const ok = await call(v2, 'POST', '/v2/oauth/token', { body: JSON.stringify({ client_id: 'app', grant_type: 'refresh_token', refresh_token: rt }), headers: json });
    expect(ok.status).toBe(201);
  });

  it('refuses a POST that is not JSON', async () => {
    const r = await call(v2, 'POST', '/v2/oauth/token', { body: 'grant_type=refresh_token', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
  });

  it('refuses other grants on GET, secrets in the URL, repeated parameters and a body', async () => {
    for (const query of ['client_id=app&grant_type=refresh_token&refresh_token=abc', `client_id=app&org_id=${ORG}&grant_type=org_implicit&client_secret=x`, `client_id=app&org_id=${ORG}&org_id=x&grant_type=org_implicit`]) {
      const r = await call(v2, 'GET', '/v2/oauth/token', { query });
      expect(r.status, query).toBe(400);
      expect(r.body.error).toBe('invalid_request');
    }
    const missingGrant = await call(v2, 'GET', '/v2/oauth/token', { query: `client_id=app&org_id=${ORG}` });
    expect(missingGrant.body.error).toBe('invalid_request');
  });

  it('requires the request signature on both calls', async () => {
    const get = await call(v2, 'GET', '/v2/oauth/token', { query: GET_QUERY, sign: false });
    expect(get.status).toBe(401);
    expect(get.body.error).toBe('invalid_client');
    // RFC 9110 §15.5.2: a 401 carries WWW-Authenticate.
    expect(get.headers.get('www-authenticate')).toMatch(/^Basic realm="tessera"/);
    const post = await call(v2, 'POST', '/v2/oauth/token', { body: '{"grant_type":"refresh_token","refresh_token":"x"}', headers: json, sign: false });
    expect(post.status).toBe(401);
    expect(post.headers.get('www-authenticate')).toMatch(/^Basic realm="tessera"/);
    // A client secret is no substitute.
    const basicAuth = await call(v2, 'GET', '/v2/oauth/token', { query: 'grant_type=org_implicit&org_id=' + ORG, headers: { authorization: basic('svc', SECRET) }, sign: false });
    expect(basicAuth.status).toBe(401);
  });

  it('answers a signature that does not verify, or a stale nonce, with 401 and a challenge', async () => {
    const headers = signedHeaders(key, { method: 'GET', path: '/v2/oauth/token', query: GET_QUERY });
    const forged = { ...headers, 'BIZ-API-SIGNATURE': headers['BIZ-API-SIGNATURE']!.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
    const stale = signedHeaders(key, { method: 'GET', path: '/v2/oauth/token', query: GET_QUERY, nonce: String(Date.now() - 3_600_000) });
    for (const h of [forged, stale]) {
      const r = await call(v2, 'GET', '/v2/oauth/token', { query: GET_QUERY, headers: h, sign: false });
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
      expect(r.body.error_description).toMatch(/^invalid_signature/);
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="tessera"/);
    }
  });

  it('documents its routes in the OpenAPI description', async () => {
    const doc = (await (await fetch(`${v2.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/v2/oauth/token'] ?? {}).sort()).toEqual(['get', 'post']);
  });

  it('answers other methods with 405 and Allow', async () => {
    const r = await call(v2, 'DELETE', '/v2/oauth/token', { sign: false });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, POST');
  });

  it('leaves the root endpoint RFC-shaped', async () => {
    const get = await call(v2, 'GET', '/oauth/token', { query: GET_QUERY });
    expect(get.status).toBe(405);
    const post = await call(v2, 'POST', '/oauth/token', { body: '{"grant_type":"refresh_token"}', headers: json });
    expect(post.status).toBe(400);
    expect(post.body.error).toBe('invalid_request');
  });
});

describe('cobo profile at the root, beside the RFC endpoint', () => {
  it('serves the signed GET and the signed JSON POST', async () => {
    const first = await call(root, 'GET', '/oauth/token', { query: GET_QUERY });
    expect(first.status).toBe(200);
    const body = JSON.stringify({ client_id: 'app', grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
    expect((await call(root, 'POST', '/oauth/token', { body, headers: json })).status).toBe(201);
  });

  it('still answers a plain GET with 405 and a JSON POST without signature with the RFC 400', async () => {
    const get = await call(root, 'GET', '/oauth/token', { query: GET_QUERY, sign: false });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(get.body.error).toBe('method_not_allowed');
    const post = await call(root, 'POST', '/oauth/token', { body: '{"grant_type":"refresh_token"}', headers: json, sign: false });
    expect(post.status).toBe(400);
    expect(post.body.error).toBe('invalid_request');
    expect(post.body.error_description).toMatch(/x-www-form-urlencoded/);
  });

  it('still serves the RFC form POST with 200', async () => {
    const r = await call(root, 'POST', '/oauth/token', { body: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('svc', SECRET) }, sign: false });
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('read');
  });
});
