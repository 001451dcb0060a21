import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/server.js';
import { call, eventually, expectProblem, startAdminServer, tokenOf } from './helpers.js';

/** The signing-keys resource over real sockets, thin over admin/signing-keys.ts: list and rotate, public parts only. */
let s: TestServer;
let token: string;
let readToken: string;
const api = (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; token?: string } = {}) => call(s.url, method, `/admin/v1${path}`, { token, ...opts });
const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string }).kid;

beforeAll(async () => {
  s = await startAdminServer();
  token = await tokenOf(s, 'admin');
  readToken = await tokenOf(s, 'reader');
});
afterAll(async () => s.stop());


describe('/admin/v1/keys', () => {
  it('lists the keys with public parts only (a read-only token may)', async () => {
    const r = await api('GET', '/keys', { token: readToken });
    expect(r.status).toBe(200);
    const items = r.body.items as Array<Record<string, unknown>>;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kid: kidOf(token), alg: s.config.signingAlg, status: 'active' });
    expect(Object.keys(items[0]!).sort()).toEqual(['activates_at', 'alg', 'created_at', 'kid', 'status']);
    expect(items[0]!.activates_at).toBe(items[0]!.created_at);
    expect(r.text).not.toMatch(/private|"d"/i);
    const one = await api('GET', `/keys/${kidOf(token)}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(items[0]);
    expect(one.headers.get('etag')).toMatch(/^"/);
    expectProblem(await api('GET', '/keys/nope'), 404);
  });

  it('rotates (201 with the new key\'s public part): new tokens are signed with it, the old key stays published and its tokens valid', async () => {
    const oldKid = kidOf(token);
    const r = await api('POST', '/keys/rotate');
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ alg: s.config.signingAlg, status: 'active' });
    expect(Object.keys(r.body).sort()).toEqual(['activates_at', 'alg', 'created_at', 'kid', 'status']);
    const kid = r.body.kid as string;
    expect(kid).not.toBe(oldKid);
    expect(r.headers.get('location')).toBe(`/admin/v1/keys/${kid}`);

    const list = (await api('GET', '/keys')).body.items as Array<Record<string, unknown>>;
    expect(list.map((k) => [k.kid, k.status])).toEqual([
      [kid, 'active'],
      [oldKid, 'retired'],
    ]);
    const until = Date.parse(list[1]!.published_until as string);
    expect(until).toBeGreaterThanOrEqual(Date.now() + (s.config.maxAccessTokenTtl + s.config.clockSkew - 30) * 1000);

    await eventually(async () => kidOf(await tokenOf(s, 'admin')) === kid);
    // The admin token signed by the retired key still works: the key stays in the ring until its tokens expire.
    expect((await api('GET', '/keys')).status).toBe(200);
    const jwks = (await (await fetch(`${s.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([kid, oldKid].sort());
  });

  it('rotates to another algorithm; refuses an unknown one with the CLI\'s message, unknown fields, bad bodies, read-only tokens', async () => {
    const r = await api('POST', '/keys/rotate', { body: { alg: 'EdDSA' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ alg: 'EdDSA', status: 'active' });
    const bad = await api('POST', '/keys/rotate', { body: { alg: 'HS256' } });
    expectProblem(bad, 422);
    expect(bad.body.errors).toEqual([{ path: 'alg', message: 'must be one of ES256, EdDSA, RS256' }]);
    expectProblem(await api('POST', '/keys/rotate', { body: { alg: 7 } }), 422);
    const unknown = await api('POST', '/keys/rotate', { body: { alg: 'ES256', private_key: 'x' } });
    expectProblem(unknown, 422);
    expect(unknown.body.errors).toEqual([{ path: 'private_key', message: 'is not a known field' }]);
    expectProblem(await api('POST', '/keys/rotate', { body: '[]' }), 400);
    expectProblem(await api('POST', '/keys/rotate', { body: '{"alg":' }), 400);
    expectProblem(await call(s.url, 'POST', '/admin/v1/keys/rotate', { token, body: 'alg=ES256', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400);
    expectProblem(await api('POST', '/keys/rotate', { token: readToken }), 403);
    expect(((await api('GET', '/keys')).body.items as Array<{ status: string }>).filter((k) => k.status === 'active')).toHaveLength(1);
    expect((await api('GET', '/keys')).body.items as unknown[]).toHaveLength(3);
  });

  it('/openapi.json lists the key routes under tag admin', async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { tags?: string[]; security?: unknown }>> };
    expect(doc.paths['/admin/v1/keys']!.get!.tags).toEqual(['admin']);
    expect(doc.paths['/admin/v1/keys/rotate']!.post!.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/admin/v1/keys/{kid}']).toBeDefined();
  });
});
