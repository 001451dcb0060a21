import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/server.js';
import { generateSigningKey } from '../../../src/keys/generate.js';
import { call, eventually, expectProblem, startAdminServer, tokenOf } from './helpers.js';

/** POST /admin/v1/keys/{kid}/retire: retiring one of several active keys without rotating. */
let s: TestServer;
let token: string;
const api = (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; token?: string } = {}) => call(s.url, method, `/admin/v1${path}`, { token, ...opts });
const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string }).kid;

beforeAll(async () => {
  s = await startAdminServer();
  token = await tokenOf(s, 'admin');
});
afterAll(async () => s.stop());

describe('POST /admin/v1/keys/{kid}/retire', () => {
  it('refuses the only active key (409), an unknown key (404) and a read-only token (403)', async () => {
    const only = kidOf(token);
    const r = await api('POST', `/keys/${only}/retire`);
    expectProblem(r, 409);
    expect(r.body.detail).toContain('only active key');
    expectProblem(await api('POST', '/keys/nope/retire'), 404);
    expectProblem(await api('POST', `/keys/${only}/retire`, { token: await tokenOf(s, 'reader') }), 403);
    expect(((await api('GET', `/keys/${only}`)).body as { status: string }).status).toBe('active');
  });

  it('retires a second active key: it signs nothing more, stays published, its tokens stay valid; key.retired is emitted', async () => {
    const first = kidOf(token);
    const extra = await generateSigningKey(s.config.signingAlg, s.masterKey.key);
    // Newer than the first key whatever second the server started in: the newest active key signs.
    await s.ctx.store.keys.insert({ ...extra, status: 'active', retiredAt: null, publishUntil: null, createdAt: Math.floor(Date.now() / 1000) + 1 });
    await eventually(async () => kidOf(await tokenOf(s, 'admin')) === extra.kid);
    const signedByExtra = await tokenOf(s, 'admin');

    const seen: Array<Record<string, unknown>> = [];
    s.ctx.events.addSink({ name: 'test', accept: (e) => seen.push(e as unknown as Record<string, unknown>) });
    expectProblem(await api('POST', `/keys/${extra.kid}/retire`, { headers: { 'if-match': '"stale"' } }), 412);
    const etag = (await api('GET', `/keys/${extra.kid}`)).headers.get('etag')!;
    const r = await api('POST', `/keys/${extra.kid}/retire`, { headers: { 'if-match': etag } });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ kid: extra.kid, status: 'retired' });
    const until = Date.parse(r.body.published_until as string);
    expect(until).toBeGreaterThanOrEqual(Date.now() + (s.config.maxAccessTokenTtl + s.config.clockSkew - 30) * 1000);
    expect(r.headers.get('etag')).not.toBe(etag);
    expect(seen.find((e) => e.type === 'key.retired')).toMatchObject({ actor: { kind: 'admin_api', id: 'admin' }, details: { kid: extra.kid } });

    await eventually(async () => kidOf(await tokenOf(s, 'admin')) === first);
    const jwks = (await (await fetch(`${s.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toContain(extra.kid);
    expect((await api('GET', '/keys', { token: signedByExtra })).status).toBe(200);

    expectProblem(await api('POST', `/keys/${extra.kid}/retire`), 409);
    expectProblem(await api('POST', `/keys/${first}/retire`), 409);
  });

  it('two retirements with one If-Match tag race: exactly one wins (200), the other gets 412, and an active key remains', async () => {
    // Two more active keys, so that retiring one is allowed and the race is only about the tag.
    const keys = await Promise.all([1, 2].map(() => generateSigningKey(s.config.signingAlg, s.masterKey.key)));
    for (const k of keys) await s.ctx.store.keys.insert({ ...k, status: 'active', retiredAt: null, publishUntil: null });
    const target = keys[0]!.kid;
    const etag = (await api('GET', `/keys/${target}`)).headers.get('etag')!;
    const results = await Promise.all([1, 2, 3].map(() => api('POST', `/keys/${target}/retire`, { headers: { 'if-match': etag } })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 412, 412]);
    for (const r of results.filter((x) => x.status === 412)) expectProblem(r, 412);
    expect(((await api('GET', `/keys/${target}`)).body as { status: string }).status).toBe('retired');
    expect((await s.ctx.store.keys.list()).some((k) => k.status === 'active')).toBe(true);
  });
});
