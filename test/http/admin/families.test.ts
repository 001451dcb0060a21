import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.js';
import { ADMIN_CLIENTS, call, eventually, expectProblem, tokenOf } from './helpers.js';

const PASSWORD = 'correct horse battery';
let s: TestServer;
let token: string;
let readToken: string;
const api = (method: string, path: string, as = token) => call(s.url, method, `/admin/v1${path}`, { token: as });

const CLIENTS = [
  ...ADMIN_CLIENTS,
  { client_id: 'web', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read write' },
  { client_id: 'app', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read' },
];
const login = async (client: string, username: string) => {
  const r = await s.post('/oauth/token', { grant_type: 'password', client_id: client, username, password: PASSWORD });
  expect(r.status).toBe(200);
  return r.body.refresh_token as string;
};
const refresh = (client: string, refreshToken: string) => s.post('/oauth/token', { grant_type: 'refresh_token', client_id: client, refresh_token: refreshToken });

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: CLIENTS,
      users: [
        { id: 'u-ada', username: 'ada', password: PASSWORD },
        { id: 'u-bob', username: 'bob', password: PASSWORD },
        { id: 'u-many', username: 'many', password: PASSWORD },
      ],
    },
  });
  token = await tokenOf(s, 'admin');
  readToken = await tokenOf(s, 'reader');
});
afterAll(async () => s.stop());


type Family = { family_id: string; client_id: string; subject: string; scope: string; status: string; created_at: string; last_used_at: string | null; expires_at: string; revoked_at?: string };

describe('GET /admin/v1/users/{id}/families', () => {
  it('lists the user\'s sessions (client, subject, scope, created, last used), not other users\'', async () => {
    const web = await login('web', 'ada');
    await login('app', 'ada');
    await login('web', 'bob');
    expect((await refresh('web', web)).status).toBe(200);
    const r = await api('GET', '/users/u-ada/families', readToken);
    expect(r.status).toBe(200);
    const items = r.body.items as Family[];
    expect(items.map((f) => f.client_id).sort()).toEqual(['app', 'web']);
    for (const f of items) {
      expect(f).toMatchObject({ subject: 'u-ada', status: 'active' });
      expect(Date.parse(f.created_at)).toBeGreaterThan(Date.now() - 60_000);
      expect(Date.parse(f.last_used_at!)).toBeGreaterThanOrEqual(Date.parse(f.created_at));
      expect(Date.parse(f.expires_at)).toBeGreaterThan(Date.now());
      expect(f).not.toHaveProperty('revoked_at');
    }
    expect(items.find((f) => f.client_id === 'app')!.scope).toBe('read');
    expect(r.body.next).toBeNull();
    expect(items.map((f) => f.family_id)).toEqual(items.map((f) => f.family_id).sort());
    // No token value of any kind is shown.
    expect(r.text).not.toContain(web);
  });

  it('pages by cursor and Link header in family_id order', async () => {
    for (let i = 0; i < 5; i++) await login('web', 'many');
    const seen: string[] = [];
    let path: string | null = '/admin/v1/users/u-many/families?limit=2';
    let pages = 0;
    while (path !== null) {
      const r = await call(s.url, 'GET', path, { token });
      expect(r.status).toBe(200);
      seen.push(...(r.body.items as Family[]).map((f) => f.family_id));
      pages++;
      path = r.body.next === null ? null : /^<([^>]+)>/.exec(r.headers.get('link')!)![1]!;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(5);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(5);
  });

  it('404 for an unknown user, 400 for a bad limit or cursor', async () => {
    expectProblem(await api('GET', '/users/nobody/families'), 404);
    expectProblem(await api('GET', '/users/u-ada/families?limit=0'), 400);
    expectProblem(await api('GET', '/users/u-ada/families?cursor=!!'), 400);
  });
});

describe('DELETE /admin/v1/families/{id}', () => {
  it('revokes one session: its refresh token stops working, the user\'s other sessions keep working', async () => {
    const keep = await login('web', 'bob');
    const end = await login('app', 'bob');
    const access = (await refresh('app', end)).body;
    // The session's access token is active (the admin API checks it by introspection: 403, no admin scope)...
    expect((await api('GET', '/users', access.access_token as string)).status).toBe(403);
    const before = (await api('GET', '/users/u-bob/families')).body.items as Family[];
    const target = before.filter((f) => f.client_id === 'app');
    expect(target).toHaveLength(1);
    expectProblem(await api('DELETE', `/families/${target[0]!.family_id}`, readToken), 403);
    expect((await api('DELETE', `/families/${target[0]!.family_id}`)).status).toBe(204);
    expect((await refresh('app', access.refresh_token as string)).status).toBe(400);
    // ...and inactive once the revoked-family set has it (401 invalid_token), within a cache sync interval.
    await eventually(async () => (await api('GET', '/users', access.access_token as string)).status === 401);
    expect((await refresh('web', keep)).status).toBe(200);
    const after = (await api('GET', '/users/u-bob/families')).body.items as Family[];
    expect(after.find((f) => f.family_id === target[0]!.family_id)).toMatchObject({ status: 'revoked', revoked_at: expect.any(String) });
    expectProblem(await api('DELETE', `/families/${target[0]!.family_id}`), 409);
    expectProblem(await api('DELETE', '/families/no-such-family'), 404);
  });
});

describe('OpenAPI', () => {
  it('/openapi.json documents the users and families routes under tag admin, with their request schemas', async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { tags?: string[]; requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> };
    const routes: Array<[string, string]> = [
      ['/admin/v1/users', 'get'], ['/admin/v1/users', 'post'], ['/admin/v1/users/{id}', 'get'], ['/admin/v1/users/{id}', 'patch'], ['/admin/v1/users/{id}', 'delete'],
      ['/admin/v1/users/{id}/password', 'post'], ['/admin/v1/users/{id}/revoke-sessions', 'post'], ['/admin/v1/users/{id}/families', 'get'], ['/admin/v1/families/{id}', 'delete'],
    ];
    for (const [path, method] of routes) expect(doc.paths[path]?.[method]?.tags, `${method} ${path}`).toEqual(['admin']);
    const create = doc.paths['/admin/v1/users']!.post!.requestBody!.content['application/json']!.schema;
    expect(Object.keys(create.properties!)).toEqual(expect.arrayContaining(['id', 'username', 'password', 'email', 'status', 'scope']));
  });
});
