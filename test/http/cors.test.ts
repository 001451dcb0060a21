import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';

/** CORS for browser-based clients: allowed_origins per client, exact match, preflight and actual requests. */
const SECRET = 'cors-secret-0123';
const PASSWORD = 'correct horse battery';
const APP = 'https://app.example';
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'spa', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read', allowed_origins: [APP, 'http://localhost:3000'] },
        { client_id: 'rs', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', allowed_origins: ['https://console.example'] },
        { client_id: 'backend', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
      ],
      users: [{ username: 'ada', password: PASSWORD }],
    },
  });
});
afterAll(async () => s?.stop());

const preflight = (path: string, origin: string | undefined, method = 'POST') =>
  fetch(s.url + path, { method: 'OPTIONS', headers: { ...(origin ? { origin } : {}), 'access-control-request-method': method, 'access-control-request-headers': 'content-type' } });
const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(s.url + path, { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });

describe('CORS preflight', () => {
  it.each(['/oauth/token', '/oauth/revoke', '/oauth/introspect'])('answers 204 on %s for an origin a client lists', async (path) => {
    const r = await preflight(path, APP);
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe(APP);
    expect(r.headers.get('access-control-allow-methods')).toBe('POST');
    expect(r.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, DPoP');
    expect(r.headers.get('access-control-max-age')).toBe('600');
    expect(r.headers.get('vary')).toMatch(/Origin/);
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('keeps the 405 for no Origin, an unknown or near-miss origin, and a method other than POST', async () => {
    for (const [origin, method] of [[undefined, 'POST'], ['https://evil.example', 'POST'], ['https://app.example:443', 'POST'], ['https://APP.example', 'POST'], ['https://app.example.evil', 'POST'], [APP, 'GET']] as const) {
      const r = await preflight('/oauth/token', origin, method);
      expect(r.status, `${origin} ${method}`).toBe(405);
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
      expect(((await r.json()) as Record<string, unknown>).error).toBe('method_not_allowed');
    }
  });

  it('is off for every other endpoint; metadata and JWKS are public documents (a plain GET, Allow-Origin *)', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/jwks.json', '/healthz']) {
      const r = await preflight(path, APP);
      expect(r.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const meta = await fetch(s.url + '/.well-known/oauth-authorization-server', { headers: { origin: APP } });
    expect(meta.headers.get('access-control-allow-origin')).toBe('*');
    const health = await fetch(s.url + '/healthz', { headers: { origin: APP } });
    expect(health.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('follows client changes (a new origin is preflighted without a restart)', async () => {
    expect((await preflight('/oauth/token', 'https://new.example')).status).toBe(405);
    await s.ctx.store.clients.update('backend', { allowedOrigins: ['https://new.example'] });
    await s.ctx.changes.publish('client', 'backend');
    expect((await preflight('/oauth/token', 'https://new.example')).status).toBe(204);
    await s.ctx.store.clients.update('backend', { allowedOrigins: null });
    await s.ctx.changes.publish('client', 'backend');
    expect((await preflight('/oauth/token', 'https://new.example')).status).toBe(405);
  });
});

describe('CORS on actual requests', () => {
  it('sends the exact origin on success and on OAuth errors, for the client that lists it', async () => {
    const ok = await post('/oauth/token', { grant_type: 'password', client_id: 'spa', username: 'ada', password: PASSWORD }, { origin: APP });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('vary')).toMatch(/Origin/);
    const bad = await post('/oauth/token', { grant_type: 'password', client_id: 'spa', username: 'ada', password: 'wrong' }, { origin: 'http://localhost:3000' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(((await bad.json()) as Record<string, unknown>).error).toBe('invalid_grant');
  });

  it('works on revocation and introspection with Basic credentials', async () => {
    const t = ((await (await post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('rs', SECRET) })).json()) as Record<string, string>).access_token!;
    const i = await post('/oauth/introspect', { token: t }, { authorization: basic('rs', SECRET), origin: 'https://console.example' });
    expect(i.headers.get('access-control-allow-origin')).toBe('https://console.example');
    const r = await post('/oauth/revoke', { token: t }, { authorization: basic('rs', SECRET), origin: 'https://console.example' });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('https://console.example');
  });

  it('answers once when the CORS check must wait for the store (an uncached client), on every endpoint', async () => {
    // The CORS headers are decided in the onSend hook, which then waits for the client record: a handler that
    // resolved before the hook finished once made Fastify send a second, empty answer (ERR_HTTP_HEADERS_SENT).
    const t = ((await (await post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('rs', SECRET) })).json()) as Record<string, string>).access_token!;
    for (const [path, form] of [['/oauth/introspect', { token: t }], ['/oauth/revoke', { token: t }], ['/oauth/token', { grant_type: 'client_credentials' }]] as const) {
      for (let i = 0; i < 5; i++) {
        s.ctx.clients.invalidate('rs');
        const r = await post(path, form, { authorization: basic('rs', SECRET), origin: 'https://console.example' });
        expect(r.status, path).toBe(200);
        expect(r.headers.get('access-control-allow-origin'), path).toBe('https://console.example');
        expect((await r.text()).length, path).toBeGreaterThan(1);
      }
    }
  });

  it('sends nothing for another client’s origin, an unnamed client, or a client without allowed_origins', async () => {
    // spa's origin, but the request names rs: rs does not list it.
    const other = await post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('rs', SECRET), origin: APP });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const unnamed = await post('/oauth/token', { grant_type: 'password', username: 'ada', password: PASSWORD }, { origin: APP });
    expect(unnamed.headers.get('access-control-allow-origin')).toBeNull();
    const backend = await post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('backend', SECRET), origin: 'https://console.example' });
    expect(backend.headers.get('access-control-allow-origin')).toBeNull();
    // No Origin: no CORS headers at all (every non-browser client).
    const plain = await post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('rs', SECRET) });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    expect(plain.headers.get('vary')).toBeNull();
  });
});
