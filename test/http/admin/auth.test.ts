import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, type TestServer } from '../../support/server.js';
import { call, eventually, SECRET, startAdminServer, tokenOf } from './helpers.js';

/** RFC 6750 bearer authorization of the admin API by this server's own access tokens (ADR 0010). */
let s: TestServer;
let admin: string;

beforeAll(async () => {
  // Many refused tokens from one address here: the per-address failure throttle has its own test (bearer-throttle.test.ts).
  s = await startAdminServer({ TESSERA_CLIENT_AUTH_THROTTLE_FREE_ATTEMPTS: '1000' });
  admin = await tokenOf(s, 'admin');
});
afterAll(async () => s.stop());

const list = (token?: string, headers: Record<string, string> = {}) => call(s.url, 'GET', '/admin/v1/clients', { ...(token ? { token } : {}), headers });
const create = (token: string, id: string, scope = 'read') => call(s.url, 'POST', '/admin/v1/clients', { token, body: { client_id: id, grant_types: ['client_credentials'], scope } });

function expectRefusal(r: { status: number; headers: Headers; body: Record<string, unknown> }, status: 401 | 403, error?: string): void {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(r.body.status).toBe(status);
  const challenge = r.headers.get('www-authenticate')!;
  expect(challenge).toMatch(/^Bearer /);
  if (error === undefined) expect(challenge).not.toContain('error=');
  else expect(challenge).toContain(`error="${error}"`);
  if (error === 'insufficient_scope') expect(challenge).toContain('scope="tessera:admin"');
}

describe('admin API authorization', () => {
  it('401 with a bare Bearer challenge without a token, or with another scheme', async () => {
    expectRefusal(await list(), 401);
    expectRefusal(await list(undefined, { authorization: basic('admin', SECRET) }), 401);
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['a JWT-shaped forgery', 'eyJhbGciOiJub25lIn0.eyJzY29wZSI6InRlc3NlcmE6YWRtaW4ifQ.c2ln'],
    ['an unknown opaque token', 'A'.repeat(43)],
  ])('401 invalid_token for %s', async (_, token) => {
    expectRefusal(await list(token), 401, 'invalid_token');
  });

  it('401 invalid_token for a malformed Bearer header', async () => {
    expectRefusal(await list(undefined, { authorization: 'Bearer a b' }), 401, 'invalid_token');
  });

  it('403 insufficient_scope for a valid token without an admin scope', async () => {
    expectRefusal(await list(await tokenOf(s, 'plain')), 403, 'insufficient_scope');
  });

  it('tessera:admin:read may read but not write (403 insufficient_scope)', async () => {
    const reader = await tokenOf(s, 'reader');
    expect((await list(reader)).status).toBe(200);
    expect((await call(s.url, 'GET', '/admin/v1/clients/admin', { token: reader })).status).toBe(200);
    expectRefusal(await create(reader, 'by-reader'), 403, 'insufficient_scope');
    expectRefusal(await call(s.url, 'PATCH', '/admin/v1/clients/plain', { token: reader, body: { name: 'x' } }), 403, 'insufficient_scope');
    expectRefusal(await call(s.url, 'DELETE', '/admin/v1/clients/plain', { token: reader }), 403, 'insufficient_scope');
    expectRefusal(await call(s.url, 'POST', '/admin/v1/clients/plain/secret', { token: reader }), 403, 'insufficient_scope');
    expect((await call(s.url, 'GET', '/admin/v1/clients/by-reader', { token: admin })).status).toBe(404);
  });

  it('tessera:admin may write, with a JWT or an opaque token', async () => {
    expect((await create(admin, 'by-jwt')).status).toBe(201);
    const opaque = await tokenOf(s, 'admin-opaque');
    expect(opaque.split('.')).toHaveLength(1);
    expect((await create(opaque, 'by-opaque')).status).toBe(201);
  });

  it.each(['admin', 'admin-opaque'])('a %s token revoked through /oauth/revoke is refused at once (401)', async (id) => {
    const token = await tokenOf(s, id);
    expect((await list(token)).status).toBe(200);
    expect((await s.post('/oauth/revoke', { token }, { authorization: basic(id, SECRET) })).status).toBe(200);
    expectRefusal(await list(token), 401, 'invalid_token');
    // Only that token: a new one of the same client works.
    expect((await list(await tokenOf(s, id))).status).toBe(200);
  });

  it.each([['jwt'], ['opaque']])('the %s token of an admin client disabled (or deleted) since is refused within a cache sync interval (401)', async (format) => {
    const id = `admin-${format}-2`;
    const made = await call(s.url, 'POST', '/admin/v1/clients', { token: admin, body: { client_id: id, grant_types: ['client_credentials'], scope: 'tessera:admin', access_token_format: format } });
    const token = await tokenOf(s, id, made.body.client_secret as string);
    expect((await list(token)).status).toBe(200);
    // Introspection's guarantee: within a cache sync interval (the change feed), on every node.
    expect((await call(s.url, 'PATCH', `/admin/v1/clients/${id}`, { token: admin, body: { status: 'disabled' } })).status).toBe(200);
    await eventually(async () => (await list(token)).status === 401);
    expectRefusal(await list(token), 401, 'invalid_token');
    expect((await call(s.url, 'PATCH', `/admin/v1/clients/${id}`, { token: admin, body: { status: 'active' } })).status).toBe(200);
    await eventually(async () => (await list(token)).status === 200);
    expect((await call(s.url, 'DELETE', `/admin/v1/clients/${id}`, { token: admin })).status).toBe(204);
    await eventually(async () => (await list(token)).status === 401);
    expectRefusal(await list(token), 401, 'invalid_token');
  });

  it('an expired admin token is refused', async () => {
    const made = await call(s.url, 'POST', '/admin/v1/clients', { token: admin, body: { client_id: 'short-lived', grant_types: ['client_credentials'], scope: 'tessera:admin', access_token_ttl: 1 } });
    const token = await tokenOf(s, 'short-lived', made.body.client_secret as string);
    await new Promise((r) => setTimeout(r, 2100));
    expectRefusal(await list(token), 401, 'invalid_token');
  });
});

describe('the admin API and the rest of the server', () => {
  it('the OAuth endpoints keep their RFC 6749 errors (the admin error handler is the admin routes\' only)', async () => {
    const r = await s.post('/oauth/token', { grant_type: 'nope' }, { authorization: basic('admin', SECRET) });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body.error).toBe('unsupported_grant_type');
  });

  it('/openapi.json lists the admin routes under tag admin with a bearer security scheme', async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
      paths: Record<string, Record<string, { tags?: string[]; security?: unknown; requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>>;
    };
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const clients = doc.paths['/admin/v1/clients']!;
    expect(clients.get!.tags).toEqual(['admin']);
    expect(clients.post!.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(clients.post!.requestBody!.content['application/json']!.schema.properties!)).toEqual(expect.arrayContaining(['client_id', 'grant_types', 'scope', 'token_endpoint_auth_method']));
    for (const path of ['/admin/v1/clients/{id}', '/admin/v1/clients/{id}/secret', '/admin/v1/clients/{id}/api-keys']) expect(doc.paths[path]).toBeDefined();
    expect(doc.paths['/oauth/token']).toBeDefined();
  });
});
