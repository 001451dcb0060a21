import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, type TestServer } from '../../support/server.js';
import { call, eventually, expectProblem as expectProblemBase, startAdminServer, tokenOf } from './helpers.js';

let s: TestServer;
let token: string;
const api = (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) => call(s.url, method, `/admin/v1${path}`, { token, ...opts });

beforeAll(async () => {
  s = await startAdminServer();
  token = await tokenOf(s, 'admin');
});
afterAll(async () => s.stop());

function expectProblem(r: { status: number; headers: Headers; body: Record<string, unknown> }, status: number): void {
  expectProblemBase(r, status);
  expect(typeof r.body.title).toBe('string');
  expect(typeof r.body.detail).toBe('string');
}

describe('POST /admin/v1/clients', () => {
  it('creates a client (201, Location, ETag, the stored client and a secret shown once) that gets a token right away', async () => {
    const r = await api('POST', '/clients', { body: { client_id: 'x', grant_types: ['client_credentials'], scope: 'read' } });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe('/admin/v1/clients/x');
    expect(r.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toMatchObject({ client_id: 'x', grant_types: ['client_credentials'], scope: 'read', status: 'active', token_endpoint_auth_method: 'client_secret_basic', has_secret: true });
    const secret = r.body.client_secret as string;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(r.body).not.toHaveProperty('client_secret_hash');
    const t = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('x', secret) });
    expect(t.status).toBe(200);
    expect(t.body.scope).toBe('read');
    // Never again: the read shows no secret.
    const got = await api('GET', '/clients/x');
    expect(got.body).not.toHaveProperty('client_secret');
    expect(got.text).not.toContain(secret);
  });

  it('generates an id when none is given, and creates a public client without a secret', async () => {
    const r = await api('POST', '/clients', { body: { token_endpoint_auth_method: 'none', grant_types: ['refresh_token'] } });
    expect(r.status).toBe(201);
    expect(typeof r.body.client_id).toBe('string');
    expect(r.body).not.toHaveProperty('client_secret');
    expect(r.body.has_secret).toBe(false);
  });

  it('409 for a taken id', async () => {
    expectProblem(await api('POST', '/clients', { body: { client_id: 'admin', grant_types: ['client_credentials'], scope: 'read' } }), 409);
  });

  it('422 with field-level errors for bad input', async () => {
    const r = await api('POST', '/clients', { body: { client_id: 'y', grant_types: ['client_credential'], scope: 'read', access_token_ttl: 0, colour: 'red' } });
    expectProblem(r, 422);
    const paths = (r.body.errors as Array<{ path: string }>).map((e) => e.path).sort();
    expect(paths).toEqual(['access_token_ttl', 'colour', 'grant_types']);
    expect((await api('GET', '/clients/y')).status).toBe(404);
  });

  it.each([
    ['malformed JSON', '{"client_id":', 'application/json'],
    ['a JSON array', '[]', 'application/json'],
    ['JSON null', 'null', 'application/json'],
    ['a form body', 'client_id=z', 'application/x-www-form-urlencoded'],
    ['no content type', '{}', ''],
  ])('400 for %s', async (_, body, type) => {
    const r = await call(s.url, 'POST', '/admin/v1/clients', { token, headers: { 'content-type': type }, body });
    expectProblem(r, 400);
  });
});

describe('GET/PATCH/DELETE /admin/v1/clients/{id}', () => {
  it('reads with an ETag; PATCH is a merge patch honouring If-Match (412 on a stale tag)', async () => {
    await api('POST', '/clients', { body: { client_id: 'p', grant_types: ['client_credentials'], scope: 'read write', name: 'P', access_token_ttl: 60 } });
    const got = await api('GET', '/clients/p');
    expect(got.status).toBe(200);
    const etag = got.headers.get('etag')!;
    expect(got.body).toMatchObject({ client_id: 'p', name: 'P', access_token_ttl: 60, scope: 'read write' });

    const patched = await api('PATCH', '/clients/p', { body: { scope: 'read', name: null, access_token_ttl: null }, headers: { 'if-match': etag } });
    expect(patched.status).toBe(200);
    expect(patched.body.scope).toBe('read');
    expect(patched.body).not.toHaveProperty('name');
    expect(patched.body.access_token_ttl).toBe(s.config.accessTokenTtl);
    expect(patched.headers.get('etag')).not.toBe(etag);

    // Someone else's change came first: the stale tag is refused and nothing changes.
    expectProblem(await api('PATCH', '/clients/p', { body: { scope: 'write' }, headers: { 'if-match': etag } }), 412);
    expectProblem(await api('DELETE', '/clients/p', { headers: { 'if-match': etag } }), 412);
    expect((await api('GET', '/clients/p')).body.scope).toBe('read');

    // application/merge-patch+json (RFC 7396) and If-Match: * are accepted too.
    const merge = await call(s.url, 'PATCH', '/admin/v1/clients/p', { token, body: JSON.stringify({ status: 'disabled' }), headers: { 'content-type': 'application/merge-patch+json', 'if-match': '*' } });
    expect(merge.status).toBe(200);
    expect(merge.body.status).toBe('disabled');
  });

  it('a disabled client gets no token; enabled again it gets one (within a cache sync interval)', async () => {
    const created = await api('POST', '/clients', { body: { client_id: 'd', grant_types: ['client_credentials'], scope: 'read' } });
    const secret = created.body.client_secret as string;
    const status = async () => (await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('d', secret) })).status;
    expect((await api('PATCH', '/clients/d', { body: { status: 'disabled' } })).status).toBe(200);
    await eventually(async () => (await status()) === 401);
    expect((await api('PATCH', '/clients/d', { body: { status: 'active' } })).status).toBe(200);
    await eventually(async () => (await status()) === 200);
  });

  it('PATCH refuses what it cannot change (422) and bad values with the rules\' messages', async () => {
    await api('POST', '/clients', { body: { client_id: 'q', grant_types: ['client_credentials'], scope: 'read' } });
    const r = await api('PATCH', '/clients/q', { body: { client_id: 'other', client_secret: 'long-enough-secret', api_keys: [] } });
    expectProblem(r, 422);
    expect((r.body.errors as Array<{ path: string }>).map((e) => e.path).sort()).toEqual(['api_keys', 'client_id', 'client_secret']);
    const bad = await api('PATCH', '/clients/q', { body: { default_scope: 'admin', scope: null } });
    expectProblem(bad, 422);
    expect(bad.body.errors).toEqual(expect.arrayContaining([{ path: 'scope', message: 'is required' }]));
    expectProblem(await api('PATCH', '/clients/q', { body: '{', headers: { 'content-type': 'application/json' } }), 400);
  });

  it('DELETE answers 204, then the client is gone (404) and gets no token', async () => {
    const created = await api('POST', '/clients', { body: { client_id: 'del', grant_types: ['client_credentials'], scope: 'read' } });
    const etag = created.headers.get('etag')!;
    expect((await api('DELETE', '/clients/del', { headers: { 'if-match': etag } })).status).toBe(204);
    expectProblem(await api('GET', '/clients/del'), 404);
    expectProblem(await api('DELETE', '/clients/del'), 404);
    expectProblem(await api('PATCH', '/clients/del', { body: { scope: 'read' } }), 404);
    expect((await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('del', created.body.client_secret as string) })).status).toBe(401);
  });

  it('an id with reserved characters round-trips through the path', async () => {
    const id = 'a b/c?d';
    const r = await api('POST', '/clients', { body: { client_id: id, grant_types: ['client_credentials'], scope: 'read' } });
    expect(r.headers.get('location')).toBe(`/admin/v1/clients/${encodeURIComponent(id)}`);
    expect((await api('GET', `/clients/${encodeURIComponent(id)}`)).body.client_id).toBe(id);
  });
});

describe('POST /admin/v1/clients/{id}/secret', () => {
  it('rotates: the new secret works at once, the old one no longer', async () => {
    const created = await api('POST', '/clients', { body: { client_id: 'rot', grant_types: ['client_credentials'], scope: 'read' } });
    const old = created.body.client_secret as string;
    const r = await api('POST', '/clients/rot/secret');
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const fresh = r.body.client_secret as string;
    expect(fresh).not.toBe(old);
    expect((await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('rot', fresh) })).status).toBe(200);
    expect((await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('rot', old) })).status).toBe(401);
    expect((await api('GET', '/clients/rot')).text).not.toContain(fresh);
  });

  it('404 for an unknown client, 409 for a public client', async () => {
    expectProblem(await api('POST', '/clients/nobody/secret'), 404);
    await api('POST', '/clients', { body: { client_id: 'pub', token_endpoint_auth_method: 'none', grant_types: ['refresh_token'] } });
    expectProblem(await api('POST', '/clients/pub/secret'), 409);
  });
});

describe('/admin/v1/clients/{id}/api-keys', () => {
  const KEY = 'a'.repeat(64);
  it('adds, lists and removes a key; refuses a malformed one (422) and an unknown client (404)', async () => {
    await api('POST', '/clients', { body: { client_id: 'signer', token_endpoint_auth_method: 'request_signature', grant_types: ['client_credentials'], scope: 'read' } });
    const added = await api('POST', '/clients/signer/api-keys', { body: { public_key: KEY.toUpperCase() } });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ client_id: 'signer', kind: 'ed25519', public_key: KEY });
    expect((await api('GET', '/clients/signer/api-keys')).body.items).toEqual([{ client_id: 'signer', kind: 'ed25519', public_key: KEY }]);
    expect((await api('GET', '/clients/signer')).body.api_keys).toEqual([`ed25519:${KEY}`]);
    expectProblem(await api('POST', '/clients/signer/api-keys', { body: { public_key: 'zz' } }), 422);
    expectProblem(await api('POST', '/clients/signer/api-keys', { body: {} }), 422);
    expectProblem(await api('POST', '/clients/nobody/api-keys', { body: { public_key: KEY } }), 404);
    expectProblem(await api('GET', '/clients/nobody/api-keys'), 404);
    await api('POST', '/clients', { body: { client_id: 'signer2', token_endpoint_auth_method: 'request_signature', grant_types: ['client_credentials'], scope: 'read' } });
    expectProblem(await api('POST', '/clients/signer2/api-keys', { body: { public_key: KEY } }), 409);
    expect((await api('DELETE', `/clients/signer/api-keys/${KEY}`)).status).toBe(204);
    expectProblem(await api('DELETE', `/clients/signer/api-keys/${KEY}`), 404);
    expect((await api('GET', '/clients/signer/api-keys')).body.items).toEqual([]);
  });
});

describe('unknown admin paths', () => {
  it('answer 404 problem details', async () => {
    expectProblem(await api('GET', '/nothing-here'), 404);
  });
});

describe('bodies and methods', () => {
  it('413 problem for a body over 64 KiB', async () => {
    const r = await api('POST', '/clients', { body: { client_id: 'big', grant_types: ['client_credentials'], scope: 'read', name: 'x'.repeat(70 * 1024) } });
    expectProblem(r, 413);
  });

  it('HEAD reads like GET', async () => {
    const r = await fetch(`${s.url}/admin/v1/clients/admin`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toMatch(/^"/);
  });
});
