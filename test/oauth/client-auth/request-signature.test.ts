import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.js';
import { makeApiKey, signedHeaders, type TestApiKey } from '../../support/cobo.js';

/**
 * Request-signature client authentication with keys made here and fresh nonces: the default ±300 s window,
 * single use, and every signed part (method, path, query, body) bound. Through the cobo profile at the root and
 * the RFC form route.
 */
const ORG = 'org-1';
let s: TestServer;
let ed: TestApiKey;
let k1: TestApiKey;
let other: TestApiKey;
let removable: TestApiKey;
let disabledKey: TestApiKey;

const app = (client_id: string, keys: TestApiKey[], extra: Record<string, unknown> = {}) => ({
  client_id,
  token_endpoint_auth_method: 'request_signature',
  grant_types: ['org_implicit', 'refresh_token'],
  scope: 'wallet:read',
  api_keys: keys.map((k) => k.publicHex),
  ...extra,
});

beforeAll(async () => {
  [ed, k1, other, removable, disabledKey] = [makeApiKey('ed25519'), makeApiKey('secp256k1'), makeApiKey('ed25519'), makeApiKey('secp256k1'), makeApiKey('ed25519')];
  s = await startTestServer({
    env: { TESSERA_PROFILES: 'cobo' },
    doc: {
      clients: [app('app', [ed, k1]), app('other', [other]), app('removable', [removable]), app('disabled', [disabledKey], { status: 'disabled' })],
      organizations: [{ id: ORG, name: 'Org' }],
      installations: ['app', 'other', 'removable', 'disabled'].map((client_id) => ({ org_id: ORG, client_id, scope: 'wallet:read' })),
    },
  });
});
afterAll(async () => s?.stop());

const QUERY = (clientId = 'app') => `client_id=${clientId}&org_id=${ORG}&grant_type=org_implicit`;

async function call(method: string, path: string, query: string, headers: Record<string, string>, body?: string) {
  const res = await fetch(`${s.url}${path}${query ? `?${query}` : ''}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
}

const getToken = (key: TestApiKey, opts: { query?: string; nonce?: string; signQuery?: string; signPath?: string; signMethod?: string } = {}) => {
  const query = opts.query ?? QUERY();
  const headers = signedHeaders(key, { method: opts.signMethod ?? 'GET', path: opts.signPath ?? '/oauth/token', query: opts.signQuery ?? query, ...(opts.nonce ? { nonce: opts.nonce } : {}) });
  return call('GET', '/oauth/token', query, headers);
};

function expectUnauthorized(r: { status: number; body: Record<string, unknown> }, description?: RegExp) {
  expect(r.status).toBe(401);
  expect(r.body.error).toBe('invalid_client');
  if (description) expect(r.body.error_description).toMatch(description);
}

describe('request-signature authentication', () => {
  it('accepts Ed25519 and secp256k1 signatures made the SDK way', async () => {
    for (const key of [ed, k1]) {
      const r = await getToken(key);
      expect(r.status).toBe(200);
      expect(r.body.scope).toBe('wallet:read');
    }
  });

  it('refuses an unregistered key, and a key of another client than client_id', async () => {
    expectUnauthorized(await getToken(makeApiKey('ed25519')));
    expectUnauthorized(await getToken(other, { query: QUERY('app') }));
    // The same key with its own client_id works, and without client_id the key alone names the client.
    expect((await getToken(other, { query: QUERY('other') })).status).toBe(200);
    expect((await getToken(other, { query: `org_id=${ORG}&grant_type=org_implicit` })).status).toBe(200);
  });

  it('refuses a disabled client', async () => {
    expectUnauthorized(await getToken(disabledKey, { query: QUERY('disabled') }));
  });

  it('refuses nonces outside the window, in either direction, and malformed ones', async () => {
    expectUnauthorized(await getToken(ed, { nonce: String(Date.now() - 301_000) }), /window/);
    expectUnauthorized(await getToken(ed, { nonce: String(Date.now() + 301_000) }), /window/);
    expect((await getToken(ed, { nonce: String(Date.now() - 250_000) })).status).toBe(200);
    expectUnauthorized(await getToken(ed, { nonce: `0${Date.now()}` }));
    expectUnauthorized(await getToken(ed, { nonce: 'soon' }));
  });

  it('accepts each nonce once per key', async () => {
    const nonce = String(Date.now());
    expect((await getToken(ed, { nonce })).status).toBe(200);
    expectUnauthorized(await getToken(ed, { nonce }), /already used/);
    // Another key may use the same instant.
    expect((await getToken(k1, { nonce })).status).toBe(200);
  });

  it('accepts different requests signed with one nonce, and refuses each of them sent again', async () => {
    // The SDK's nonce is its clock in ms: an app asking for two things in one millisecond signs both with it.
    const nonce = String(Date.now() + 2);
    const first = QUERY();
    const second = `org_id=${ORG}&grant_type=org_implicit&scope=wallet%3Aread`;
    expect((await getToken(ed, { nonce, query: first })).status).toBe(200);
    expect((await getToken(ed, { nonce, query: second })).status).toBe(200);
    expectUnauthorized(await getToken(ed, { nonce, query: first }), /already used/);
    expectUnauthorized(await getToken(ed, { nonce, query: second }), /already used/);
    // A part the signature does not cover (the SDK's `_` cache-buster) does not make a replay new.
    expectUnauthorized(await call('GET', '/oauth/token', `${first}&_=${nonce}`, signedHeaders(ed, { method: 'GET', path: '/oauth/token', query: first, nonce })), /already used/);
  });

  it('does not spend a nonce on a request whose signature fails', async () => {
    const nonce = String(Date.now() + 1);
    expectUnauthorized(await getToken(ed, { nonce, signQuery: QUERY() + '&x=1' }));
    expect((await getToken(ed, { nonce })).status).toBe(200);
  });

  it('binds the method, the path and the query', async () => {
    expectUnauthorized(await getToken(ed, { signMethod: 'POST' }));
    expectUnauthorized(await getToken(ed, { signPath: '/v2/oauth/token' }));
    expectUnauthorized(await getToken(ed, { signQuery: `client_id=app&org_id=org-2&grant_type=org_implicit` }));
    expectUnauthorized(await getToken(k1, { signQuery: `client_id=app&grant_type=org_implicit&org_id=${ORG}` }));
  });

  it('binds the body', async () => {
    const first = await getToken(ed);
    const body = JSON.stringify({ client_id: 'app', grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
    const tampered = JSON.stringify({ client_id: 'app', grant_type: 'refresh_token', refresh_token: first.body.refresh_token, scope: 'wallet:read' });
    const headers = { 'content-type': 'application/json', ...signedHeaders(ed, { method: 'POST', path: '/oauth/token', body }) };
    expectUnauthorized(await call('POST', '/oauth/token', '', headers, tampered));
    // Whitespace is part of the signed text too: the body is never re-serialised.
    expectUnauthorized(await call('POST', '/oauth/token', '', headers, body + ' '));
    const ok = await call('POST', '/oauth/token', '', headers, body);
    expect(ok.status).toBe(201);
  });

  it('refuses a request missing one of the three headers, or carrying a second authentication method', async () => {
    const headers = signedHeaders(ed, { method: 'GET', path: '/oauth/token', query: QUERY() });
    const { ['BIZ-API-SIGNATURE']: _dropped, ...partial } = headers;
    expectUnauthorized(await call('GET', '/oauth/token', QUERY(), partial), /BIZ-API/);
    const body = JSON.stringify({ client_id: 'app', client_secret: 'x'.repeat(10), grant_type: 'refresh_token', refresh_token: 'r'.repeat(43) });
    const both = { 'content-type': 'application/json', ...signedHeaders(ed, { method: 'POST', path: '/oauth/token', body }) };
    const r = await call('POST', '/oauth/token', '', both, body);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
  });

  it('works on the RFC form route too (the signature covers the form body)', async () => {
    const body = `grant_type=org_implicit&org_id=${ORG}`;
    const headers = { 'content-type': 'application/x-www-form-urlencoded', ...signedHeaders(k1, { method: 'POST', path: '/oauth/token', body }) };
    const r = await call('POST', '/oauth/token', '', headers, body);
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('wallet:read');
  });

  it('stops accepting a removed key once the change reaches the node', async () => {
    expect((await getToken(removable, { query: QUERY('removable') })).status).toBe(200);
    await s.ctx.store.apiKeys.remove(removable.publicHex);
    await vi.waitFor(async () => expectUnauthorized(await getToken(removable, { query: QUERY('removable') })), { timeout: 10_000, interval: 50 });
  });

  it('is announced in the metadata under an extension name, not as a registered auth method', async () => {
    const meta = (await (await fetch(`${s.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(meta.tessera_request_signature_supported).toBe(true);
    expect(meta.tessera_request_signature_key_types_supported).toEqual(['ed25519', 'secp256k1']);
    expect(meta.token_endpoint_auth_methods_supported).not.toContain('request_signature');
    expect(meta.grant_types_supported).toContain('org_implicit');
  });
});
