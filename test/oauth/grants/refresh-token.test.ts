import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { basic, startTestServer, type TestServer } from '../../support/server.js';

const SECRET = 'confidential-secret-123';
const PASSWORD = 'correct horse battery';
let s: TestServer;

const CLIENTS = [
  { client_id: 'web', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read write' },
  { client_id: 'other', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read write' },
  { client_id: 'backend', client_secret: SECRET, grant_types: ['password', 'refresh_token'], scope: 'read write', access_token_format: 'opaque' },
  { client_id: 'retrying', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read write', refresh_reuse_interval: 30 },
  { client_id: 'no-refresh', token_endpoint_auth_method: 'none', grant_types: ['password'], scope: 'read write' },
];

async function login(client = 'web', username = 'ada'): Promise<string> {
  const r = await s.post('/oauth/token', { grant_type: 'password', client_id: client, username, password: PASSWORD });
  expect(r.status).toBe(200);
  return r.body.refresh_token as string;
}

function refresh(token: string, client = 'web', extra: Record<string, string> = {}) {
  return s.post('/oauth/token', { grant_type: 'refresh_token', client_id: client, refresh_token: token, ...extra });
}

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: CLIENTS,
      users: [
        { id: 'u-ada', username: 'Ada', password: PASSWORD },
        { id: 'u-bob', username: 'bob', password: PASSWORD },
        { id: 'u-cy', username: 'cy', password: PASSWORD },
      ],
    },
  });
});
afterAll(async () => s.stop());

describe('refresh_token grant (RFC 6749 §6, rotation per RFC 9700 §4.14.2)', () => {
  it('rotates: a new refresh token each time, carrying the user into the new access token', async () => {
    const rt1 = await login();
    const r = await refresh(rt1);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toMatchObject({ token_type: 'Bearer', scope: 'read write' });
    const rt2 = r.body.refresh_token as string;
    expect(rt2).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rt2).not.toBe(rt1);
    expect(decodeJwt(r.body.access_token as string)).toMatchObject({ sub: 'u-ada', username: 'Ada', client_id: 'web' });
    expect((await refresh(rt2)).status).toBe(200);
  });

  it('detects reuse: an already-rotated token revokes the whole family, including its newest token', async () => {
    const rt1 = await login();
    const rt2 = (await refresh(rt1)).body.refresh_token as string;
    const rt3 = (await refresh(rt2)).body.refresh_token as string;
    const reuse = await refresh(rt1);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    const newest = await refresh(rt3);
    expect(newest.status).toBe(400);
    expect(newest.body.error).toBe('invalid_grant');
    // Another family of the same user is untouched.
    expect((await refresh(await login())).status).toBe(200);
  });

  it('tolerates a retry inside the client reuse interval (lost response), and only the latest successor lives', async () => {
    const rt1 = await login('retrying');
    const first = await refresh(rt1, 'retrying');
    const retry = await refresh(rt1, 'retrying');
    expect(retry.status).toBe(200);
    expect(retry.body.refresh_token).not.toBe(first.body.refresh_token);
    expect((await refresh(first.body.refresh_token as string, 'retrying')).body.error).toBe('invalid_grant');
    expect((await refresh(retry.body.refresh_token as string, 'retrying')).status).toBe(200);
  });

  it('treats a retry after the successor was itself used as reuse', async () => {
    const rt1 = await login('retrying');
    const rt2 = (await refresh(rt1, 'retrying')).body.refresh_token as string;
    const rt3 = (await refresh(rt2, 'retrying')).body.refresh_token as string;
    expect((await refresh(rt1, 'retrying')).body.error).toBe('invalid_grant');
    expect((await refresh(rt3, 'retrying')).body.error).toBe('invalid_grant');
  });

  it('lets exactly one of 50 parallel refreshes with the same token succeed', async () => {
    const rt = await login();
    const results = await Promise.all(Array.from({ length: 50 }, () => refresh(rt)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_grant');
    }
  });

  it('narrows scope for the access token only; a later refresh gets the original scope back (RFC 6749 §6)', async () => {
    const rt1 = await login();
    const narrow = await refresh(rt1, 'web', { scope: 'read' });
    expect(narrow.status).toBe(200);
    expect(narrow.body.scope).toBe('read');
    expect(decodeJwt(narrow.body.access_token as string).scope).toBe('read');
    const again = await refresh(narrow.body.refresh_token as string);
    expect(again.body.scope).toBe('read write');
  });

  it('refuses a broader scope with invalid_scope', async () => {
    const r = await refresh(await login(), 'web', { scope: 'read write admin' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_scope');
  });

  it("refuses another client's refresh token with invalid_grant, and leaves it valid for its owner", async () => {
    const rt = await login('web');
    const misuse = await refresh(rt, 'other');
    expect(misuse.status).toBe(400);
    expect(misuse.body.error).toBe('invalid_grant');
    const confidential = await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: rt }, { authorization: basic('backend', SECRET) });
    expect(confidential.body.error).toBe('invalid_grant');
    expect((await refresh(rt, 'web')).status).toBe(200);
  });

  it('requires a confidential client to authenticate, and then works with an opaque access token', async () => {
    const r = await s.post('/oauth/token', { grant_type: 'password', username: 'ada', password: PASSWORD }, { authorization: basic('backend', SECRET) });
    const rt = r.body.refresh_token as string;
    const unauthenticated = await refresh(rt, 'backend');
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.error).toBe('invalid_client');
    const ok = await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: rt }, { authorization: basic('backend', SECRET) });
    expect(ok.status).toBe(200);
    expect(ok.body.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('gives no refresh token to a client without the refresh_token grant, and refuses the grant for it', async () => {
    const r = await s.post('/oauth/token', { grant_type: 'password', client_id: 'no-refresh', username: 'ada', password: PASSWORD });
    expect(r.body.refresh_token).toBeUndefined();
    const rt = await login('web');
    expect((await refresh(rt, 'no-refresh')).body.error).toBe('unauthorized_client');
  });

  it('rejects garbage and missing refresh tokens', async () => {
    expect((await refresh('not-a-token')).body.error).toBe('invalid_grant');
    expect((await s.post('/oauth/token', { grant_type: 'refresh_token', client_id: 'web' })).body.error).toBe('invalid_request');
  });

  it('fails once the user is disabled, and again after re-enabling only with a fresh login', async () => {
    const rt = await login('web', 'bob');
    await s.ctx.store.users.update('u-bob', { status: 'disabled' });
    await expect.poll(async () => (await refresh(rt)).body.error, { timeout: 10_000, interval: 100 }).toBe('invalid_grant');
    await s.ctx.store.users.update('u-bob', { status: 'active' });
    await expect.poll(async () => (await s.post('/oauth/token', { grant_type: 'password', client_id: 'web', username: 'bob', password: PASSWORD })).status, { timeout: 10_000, interval: 100 }).toBe(200);
  });

  it('caps the refreshed scope when the user allowance shrank, and fails when the user is deleted', async () => {
    const rt = await login('web', 'cy');
    await s.ctx.store.users.update('u-cy', { scope: ['read'] });
    // Wait until this process has seen the change (a fresh login then gets the capped default scope).
    await expect.poll(async () => (await s.post('/oauth/token', { grant_type: 'password', client_id: 'web', username: 'cy', password: PASSWORD })).body.scope, { timeout: 10_000, interval: 100 }).toBe('read');
    const capped = await refresh(rt);
    expect(capped.body.scope).toBe('read');
    await s.ctx.store.users.delete('u-cy');
    expect((await refresh(capped.body.refresh_token as string)).body.error).toBe('invalid_grant');
  });
});

describe('refresh-token lifetimes (per-client idle timeout and absolute lifetime)', () => {
  let clock = 1_800_000_000;
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      now: () => clock,
      doc: {
        clients: [{ client_id: 'short', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read', refresh_idle_ttl: 100, refresh_token_ttl: 250 }],
        users: [{ username: 'ada', password: PASSWORD }],
      },
    });
  });
  afterAll(async () => t.stop());

  const loginShort = async () => (await t.post('/oauth/token', { grant_type: 'password', client_id: 'short', username: 'ada', password: PASSWORD })).body.refresh_token as string;
  const refreshShort = (rt: string) => t.post('/oauth/token', { grant_type: 'refresh_token', client_id: 'short', refresh_token: rt });

  it('expires a refresh token left unused for longer than the idle timeout', async () => {
    const rt1 = await loginShort();
    clock += 99;
    const r = await refreshShort(rt1);
    expect(r.status).toBe(200);
    clock += 100;
    const idle = await refreshShort(r.body.refresh_token as string);
    expect(idle.status).toBe(400);
    expect(idle.body.error).toBe('invalid_grant');
  });

  it('ends the family at its absolute lifetime however often it is used', async () => {
    let rt = await loginShort();
    for (let i = 0; i < 3; i++) {
      clock += 80;
      const r = await refreshShort(rt);
      expect(r.status).toBe(200);
      rt = r.body.refresh_token as string;
    }
    clock += 10; // 250 s after login
    const end = await refreshShort(rt);
    expect(end.status).toBe(400);
    expect(end.body.error).toBe('invalid_grant');
  });
});
