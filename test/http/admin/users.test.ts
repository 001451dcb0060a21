import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.js';
import { ADMIN_CLIENTS, call, errorPaths as paths, eventually, expectProblem, tokenOf } from './helpers.js';

const PASSWORD = 'correct horse battery';
let s: TestServer;
let token: string;
let readToken: string;
const api = (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; as?: string } = {}) => call(s.url, method, `/admin/v1${path}`, { token: opts.as ?? token, ...opts });

// A public client of the password grant, to prove what the API changes is what the token endpoint sees.
const WEB = { client_id: 'web', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read write' };
const login = (username: string, password = PASSWORD) => s.post('/oauth/token', { grant_type: 'password', client_id: 'web', username, password });
const refresh = (refreshToken: string) => s.post('/oauth/token', { grant_type: 'refresh_token', client_id: 'web', refresh_token: refreshToken });

beforeAll(async () => {
  s = await startTestServer({ doc: { clients: [...ADMIN_CLIENTS, WEB] } });
  token = await tokenOf(s, 'admin');
  readToken = await tokenOf(s, 'reader');
});
afterAll(async () => s.stop());


describe('POST /admin/v1/users', () => {
  it('creates a user (201, Location, ETag); the given password is hashed, never returned, and works at once', async () => {
    const r = await api('POST', '/users', { body: { id: 'u-ann', username: 'Ann', password: PASSWORD, email: 'ann@example.com', scope: 'read' } });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe('/admin/v1/users/u-ann');
    expect(r.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(r.body).toMatchObject({ id: 'u-ann', username: 'Ann', status: 'active', scope: 'read', email: 'ann@example.com', email_verified: false, has_password: true });
    expect(r.text).not.toContain(PASSWORD);
    expect(r.text).not.toContain('argon2');
    const t = await login('ann');
    expect(t.status).toBe(200);
    expect(t.body.scope).toBe('read');
    expect((await api('GET', '/users/u-ann')).text).not.toContain('argon2');
  });

  it('without a password generates one, shown once', async () => {
    const r = await api('POST', '/users', { body: { username: 'gen' } });
    expect(r.status).toBe(201);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(typeof r.body.id).toBe('string');
    const password = r.body.password as string;
    expect(password.length).toBeGreaterThanOrEqual(8);
    expect((await login('gen', password)).status).toBe(200);
    expect((await api('GET', `/users/${r.body.id as string}`)).body).not.toHaveProperty('password');
  });

  it('409 for a taken username (case-insensitive) or id', async () => {
    await api('POST', '/users', { body: { id: 'u-dup', username: 'dup', password: PASSWORD } });
    expectProblem(await api('POST', '/users', { body: { username: 'DUP', password: PASSWORD } }), 409);
    expectProblem(await api('POST', '/users', { body: { id: 'u-dup', username: 'dup2', password: PASSWORD } }), 409);
  });

  it('422 with the field-level messages of the CLI and the import document', async () => {
    const r = await api('POST', '/users', { body: { username: 'bad', password: 'short', email: 'nope', status: 'gone', colour: 'red' } });
    expectProblem(r, 422);
    expect(paths(r)).toEqual(['colour', 'email', 'password', 'status']);
    expect(r.body.errors).toEqual(expect.arrayContaining([{ path: 'password', message: 'must be at least 8 characters' }]));
    expect(r.text).not.toContain('short');
    expectProblem(await api('POST', '/users', { body: {} }), 422);
    expectProblem(await api('POST', '/users', { body: '[]' }), 400);
  });

  it('a read-only admin token may read but not write (403 insufficient_scope)', async () => {
    const r = await api('POST', '/users', { body: { username: 'ro', password: PASSWORD }, as: readToken });
    expectProblem(r, 403);
    expect(r.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect((await api('GET', '/users?username=ro', { as: readToken })).body.items).toEqual([]);
    expect((await api('GET', '/users/u-ann', { as: readToken })).status).toBe(200);
    for (const [method, path] of [['PATCH', '/users/u-ann'], ['DELETE', '/users/u-ann'], ['POST', '/users/u-ann/password'], ['POST', '/users/u-ann/revoke-sessions']] as const) {
      expectProblem(await api(method, path, { body: {}, as: readToken }), 403);
    }
    expectProblem(await call(s.url, 'GET', '/admin/v1/users'), 401);
  });
});

describe('GET/PATCH/DELETE /admin/v1/users/{id}', () => {
  it('PATCH is a merge patch honouring If-Match (412 on a stale tag); null removes a field', async () => {
    await api('POST', '/users', { body: { id: 'u-pat', username: 'pat', password: PASSWORD, email: 'pat@example.com', scope: 'read' } });
    const got = await api('GET', '/users/u-pat');
    expect(got.status).toBe(200);
    const etag = got.headers.get('etag')!;
    const patched = await api('PATCH', '/users/u-pat', { body: { email: null, scope: null, email_verified: true }, headers: { 'if-match': etag } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ username: 'pat', scope: null, email_verified: true });
    expect(patched.body).not.toHaveProperty('email');
    expect(patched.headers.get('etag')).not.toBe(etag);
    expectProblem(await api('PATCH', '/users/u-pat', { body: { scope: 'write' }, headers: { 'if-match': etag } }), 412);
    expectProblem(await api('DELETE', '/users/u-pat', { headers: { 'if-match': etag } }), 412);
    expect((await api('GET', '/users/u-pat')).body.scope).toBeNull();
    const merge = await call(s.url, 'PATCH', '/admin/v1/users/u-pat', { token, body: JSON.stringify({ scope: 'read write' }), headers: { 'content-type': 'application/merge-patch+json', 'if-match': '*' } });
    expect(merge.status).toBe(200);
    expect(merge.body.scope).toBe('read write');
  });

  it('PATCH refuses what it cannot change and bad values (422), unknown users (404)', async () => {
    await api('POST', '/users', { body: { id: 'u-q', username: 'q', password: PASSWORD } });
    const r = await api('PATCH', '/users/u-q', { body: { id: 'x', username: 'other', password: 'long enough pw', password_hash: 'x' } });
    expectProblem(r, 422);
    expect(paths(r)).toEqual(['id', 'password', 'password_hash', 'username']);
    const bad = await api('PATCH', '/users/u-q', { body: { status: 'gone', email: 'nope', colour: 1 } });
    expectProblem(bad, 422);
    expect(paths(bad)).toEqual(['colour', 'email', 'status']);
    expectProblem(await api('PATCH', '/users/nobody', { body: { status: 'disabled' } }), 404);
    expectProblem(await api('GET', '/users/nobody'), 404);
    // The path names an id, never a username.
    expectProblem(await api('GET', '/users/q'), 404);
  });

  it('disabling by PATCH ends the sessions (refresh refused, no login); enabling allows login again', async () => {
    await api('POST', '/users', { body: { id: 'u-dis', username: 'dis', password: PASSWORD } });
    const rt = (await login('dis')).body.refresh_token as string;
    const r = await api('PATCH', '/users/u-dis', { body: { status: 'disabled' } });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('disabled');
    expect((await refresh(rt)).status).toBe(400);
    // The password grant reads users through the per-node cache the change feed keeps current (one sync interval).
    await eventually(async () => (await login('dis')).status === 400);
    expect((await api('PATCH', '/users/u-dis', { body: { status: 'active' } })).body.status).toBe('active');
    await eventually(async () => (await login('dis')).status === 200);
  });

  it('DELETE answers 204, then the user is gone (404), their refresh tokens refused', async () => {
    const created = await api('POST', '/users', { body: { id: 'u-del', username: 'del', password: PASSWORD } });
    const rt = (await login('del')).body.refresh_token as string;
    expect((await api('DELETE', '/users/u-del', { headers: { 'if-match': created.headers.get('etag')! } })).status).toBe(204);
    expectProblem(await api('GET', '/users/u-del'), 404);
    expectProblem(await api('DELETE', '/users/u-del'), 404);
    expect((await refresh(rt)).status).toBe(400);
  });
});

describe('POST /admin/v1/users/{id}/password and /revoke-sessions', () => {
  it('sets a password: the old one stops working, sessions end unless kept', async () => {
    await api('POST', '/users', { body: { id: 'u-pw', username: 'pw', password: PASSWORD } });
    const rt = (await login('pw')).body.refresh_token as string;
    const kept = await api('POST', '/users/u-pw/password', { body: { password: 'another good one', keep_sessions: true } });
    expect(kept.status).toBe(200);
    expect(kept.body).toEqual({ id: 'u-pw', username: 'pw', revoked_refresh_token_families: 0 });
    expect(kept.headers.get('cache-control')).toBe('no-store');
    await eventually(async () => (await login('pw')).status === 400);
    const again = await refresh(rt);
    expect(again.status).toBe(200);
    const r = await api('POST', '/users/u-pw/password', { body: {} });
    // At least the refreshed family; logins that passed before the cache learnt of the new password add more.
    expect(r.body.revoked_refresh_token_families).toBeGreaterThanOrEqual(1);
    expect((await refresh(again.body.refresh_token as string)).status).toBe(400);
    await eventually(async () => (await login('pw', r.body.password as string)).status === 200);
    expect((await login('pw', 'another good one')).status).toBe(400);
  });

  it('refuses a short password (the CLI\'s minimum and message), bad fields (422), an unknown user (404)', async () => {
    await api('POST', '/users', { body: { id: 'u-pw2', username: 'pw2', password: PASSWORD } });
    const r = await api('POST', '/users/u-pw2/password', { body: { password: '1234567' } });
    expectProblem(r, 422);
    expect(r.body.errors).toEqual([{ path: 'password', message: 'must be at least 8 characters' }]);
    expect(paths(await api('POST', '/users/u-pw2/password', { body: { password: 12345678, keep_sessions: 'yes', x: 1 } }))).toEqual(['keep_sessions', 'password', 'x']);
    expectProblem(await api('POST', '/users/nobody/password', { body: { password: PASSWORD } }), 404);
    expectProblem(await api('POST', '/users/u-pw2/password', { body: 'password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400);
    expect((await login('pw2')).status).toBe(200);
  });

  it('revoke-sessions revokes every refresh family of the user and says how many', async () => {
    await api('POST', '/users', { body: { id: 'u-rs', username: 'rs', password: PASSWORD } });
    const a = (await login('rs')).body.refresh_token as string;
    const b = (await login('rs')).body.refresh_token as string;
    const r = await api('POST', '/users/u-rs/revoke-sessions');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: 'u-rs', revoked_refresh_token_families: 2 });
    expect((await refresh(a)).status).toBe(400);
    expect((await refresh(b)).status).toBe(400);
    expect((await api('POST', '/users/u-rs/revoke-sessions')).body.revoked_refresh_token_families).toBe(0);
    expect((await login('rs')).status).toBe(200);
    expectProblem(await api('POST', '/users/nobody/revoke-sessions'), 404);
  });
});

describe('GET /admin/v1/users', () => {
  beforeAll(async () => {
    for (let i = 0; i < 25; i++) {
      const n = String((i * 7) % 25).padStart(2, '0');
      const r = await api('POST', '/users', { body: { id: `u-l${n}`, username: `list-${n}`, password: PASSWORD, email: i % 2 === 0 ? 'even@example.com' : `l${n}@example.com`, ...(i % 5 === 0 ? { status: 'disabled' } : {}) } });
      if (r.status !== 201) throw new Error(r.text);
    }
  }, 60_000);

  it('walks every user once in username order, by next cursors and Link headers', async () => {
    const seen: string[] = [];
    let path: string | null = '/admin/v1/users?limit=7';
    while (path !== null) {
      const r = await call(s.url, 'GET', path, { token });
      expect(r.status).toBe(200);
      seen.push(...(r.body.items as Array<{ username: string }>).map((u) => u.username));
      const link = r.headers.get('link');
      path = r.body.next === null ? null : /^<([^>]+)>/.exec(link!)![1]!;
      if (r.body.next === null) expect(link).toBeNull();
    }
    const lowered = seen.map((n) => n.toLowerCase());
    expect(lowered).toEqual([...lowered].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((n) => n.startsWith('list-'))).toHaveLength(25);
  });

  it('filters by username, email (case-insensitive) and status; the Link header keeps the filters', async () => {
    expect((await api('GET', '/users?username=LIST-03')).body.items).toMatchObject([{ id: 'u-l03', username: 'list-03' }]);
    const even = await api('GET', '/users?email=EVEN@example.com&limit=5');
    expect((even.body.items as unknown[]).length).toBe(5);
    expect(even.headers.get('link')).toBe(`</admin/v1/users?limit=5&email=EVEN%40example.com&cursor=${even.body.next as string}>; rel="next"`);
    const all = [...(even.body.items as Array<{ email: string }>)];
    for (let link = even.headers.get('link'); link !== null; ) {
      const r = await call(s.url, 'GET', /^<([^>]+)>/.exec(link)![1]!, { token });
      all.push(...(r.body.items as Array<{ email: string }>));
      link = r.headers.get('link');
    }
    expect(all).toHaveLength(13);
    expect(all.every((u) => u.email === 'even@example.com')).toBe(true);
    const disabled = (await api('GET', '/users?status=disabled&limit=200')).body.items as Array<{ username: string; status: string }>;
    expect(disabled.map((u) => u.username).filter((n) => n.startsWith('list-'))).toHaveLength(5);
    expect(disabled.every((u) => u.status === 'disabled')).toBe(true);
    expect((await api('GET', '/users?email=even@example.com&status=disabled')).body.items).toHaveLength(3);
  });

  it.each(['status=gone', 'username=', 'email=a&email=b', 'limit=0', 'cursor=!!'])('400 problem for %s', async (q) => {
    expectProblem(await api('GET', `/users?${q}`), 400);
  });
});
