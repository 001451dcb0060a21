import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, type TestServer } from '../../support/server.js';
import { call, errorPaths, eventually, expectProblem, startAdminServer, tokenOf } from './helpers.js';

let s: TestServer;
let token: string;
const api = (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) => call(s.url, method, `/admin/v1${path}`, { token, ...opts });
const tokenStatus = async (id: string, secret: string) => (await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(id, secret) })).status;

beforeAll(async () => {
  s = await startAdminServer();
  token = await tokenOf(s, 'admin');
});
afterAll(async () => s.stop());

async function created(id: string): Promise<string> {
  const r = await api('POST', '/clients', { body: { client_id: id, grant_types: ['client_credentials'], scope: 'read' } });
  expect(r.status).toBe(201);
  return r.body.client_secret as string;
}

describe('POST /admin/v1/clients/{id}/secret with keep_old_for', () => {
  it('keeps the old secret working beside the new one, and shows both secrets with their ids and expiry', async () => {
    const old = await created('overlap');
    const before = (await api('GET', '/clients/overlap')).body.secrets as Array<Record<string, unknown>>;
    expect(before).toEqual([{ secret_id: expect.stringMatching(/^[0-9a-f]{8}$/), current: true, expires_at: null, expired: false, last_used_at: null }]);
    const oldId = before[0]!.secret_id;
    const r = await api('POST', '/clients/overlap/secret', { body: { keep_old_for: '24h' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toMatchObject({ client_id: 'overlap', secret_id: expect.stringMatching(/^[0-9a-f]{8}$/), kept_secret_id: oldId });
    const keptUntil = Date.parse(r.body.kept_until as string);
    expect(Math.abs(keptUntil - (Date.now() + 86_400_000))).toBeLessThan(5000);
    const fresh = r.body.client_secret as string;
    expect(await tokenStatus('overlap', fresh)).toBe(200);
    expect(await tokenStatus('overlap', old)).toBe(200);
    expect(await tokenStatus('overlap', 'neither')).toBe(401);
    const got = await api('GET', '/clients/overlap');
    expect(got.body.secrets).toEqual([
      { secret_id: r.body.secret_id, current: true, expires_at: null, expired: false, last_used_at: null },
      { secret_id: oldId, current: false, expires_at: r.body.kept_until, expired: false, last_used_at: null },
    ]);
    expect(got.text).not.toContain(fresh);
    expect(got.text).not.toContain('argon2');
  });

  it('accepts seconds as a number; a third secret is refused (409) while the kept one is live, naming how to proceed', async () => {
    await created('three');
    const first = await api('POST', '/clients/three/secret', { body: { keep_old_for: 3600 } });
    expect(first.status).toBe(200);
    const again = await api('POST', '/clients/three/secret', { body: { keep_old_for: '1h' } });
    expectProblem(again, 409);
    expect(again.body.detail).toContain(first.body.kept_secret_id as string);
    expect(again.body.detail).toContain('remove it first');
    // The refused rotation changed nothing: the secret from the first rotation still works.
    expect(await tokenStatus('three', first.body.client_secret as string)).toBe(200);
    // Without keep_old_for both old secrets end now.
    const plain = await api('POST', '/clients/three/secret');
    expect(plain.status).toBe(200);
    expect(plain.body).not.toHaveProperty('kept_secret_id');
    // That secret was just used, so this node remembers it: it stops once the node follows the change.
    await eventually(async () => (await tokenStatus('three', first.body.client_secret as string)) === 401);
    expect((await api('GET', '/clients/three')).body.secrets).toHaveLength(1);
  });

  it('422 for a keep_old_for that is not a duration or too long, and for unknown fields; 400 for a body that is not JSON', async () => {
    await created('bad-keep');
    for (const keep of ['soon', '-1h', 1.5, -3, '91d', true]) {
      const r = await api('POST', '/clients/bad-keep/secret', { body: { keep_old_for: keep } });
      expectProblem(r, 422);
      expect(errorPaths(r)).toEqual(['keep_old_for']);
    }
    const unknown = await api('POST', '/clients/bad-keep/secret', { body: { keep_old_for: '1h', expires: 1 } });
    expectProblem(unknown, 422);
    expect(errorPaths(unknown)).toEqual(['expires']);
    expectProblem(await api('POST', '/clients/bad-keep/secret', { body: '{not json', headers: { 'content-type': 'application/json' } }), 400);
  });
});

describe('DELETE /admin/v1/clients/{id}/secrets/{secret_id}', () => {
  it('ends the kept secret before its time (every node follows the change); the current one cannot be removed', async () => {
    const old = await created('removal');
    const r = await api('POST', '/clients/removal/secret', { body: { keep_old_for: '7d' } });
    expect(await tokenStatus('removal', old)).toBe(200);
    expectProblem(await api('DELETE', `/clients/removal/secrets/${r.body.secret_id as string}`), 409);
    expectProblem(await api('DELETE', '/clients/removal/secrets/00000000'), 404);
    expectProblem(await api('DELETE', `/clients/nobody/secrets/${r.body.kept_secret_id as string}`), 404);
    const del = await api('DELETE', `/clients/removal/secrets/${r.body.kept_secret_id as string}`);
    expect(del.status).toBe(204);
    // The old secret was remembered by this node's verifier; the change makes it stop anyway.
    await eventually(async () => (await tokenStatus('removal', old)) === 401);
    expect(await tokenStatus('removal', r.body.client_secret as string)).toBe(200);
    expect((await api('GET', '/clients/removal')).body.secrets).toHaveLength(1);
  });
});
