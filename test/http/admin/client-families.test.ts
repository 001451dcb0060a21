import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.js';
import { ADMIN_CLIENTS, call, expectProblem, tokenOf } from './helpers.js';

/** A client's refresh-token families over real sockets: listed like a user's, revoked all at once. */
const PASSWORD = 'correct horse battery';
let s: TestServer;
let token: string;
let readToken: string;
const api = (method: string, path: string, as = token) => call(s.url, method, `/admin/v1${path}`, { token: as });

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: [
        ...ADMIN_CLIENTS,
        { client_id: 'web', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read write' },
        { client_id: 'app', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read' },
      ],
      users: [
        { id: 'u-ada', username: 'ada', password: PASSWORD },
        { id: 'u-bob', username: 'bob', password: PASSWORD },
      ],
    },
  });
  token = await tokenOf(s, 'admin');
  readToken = await tokenOf(s, 'reader');
});
afterAll(async () => s.stop());

const login = async (client: string, username: string) => {
  const r = await s.post('/oauth/token', { grant_type: 'password', client_id: client, username, password: PASSWORD });
  expect(r.status).toBe(200);
  return r.body.refresh_token as string;
};
const refresh = (client: string, refreshToken: string) => s.post('/oauth/token', { grant_type: 'refresh_token', client_id: client, refresh_token: refreshToken });


type Family = { family_id: string; client_id: string; subject: string; status: string; created_at: string; last_used_at: string | null };

describe('/admin/v1/clients/{id}/families and revoke-sessions', () => {
  it('lists the client\'s sessions (client, subject, created, last used) paged by family_id, not other clients\'', async () => {
    await login('web', 'ada');
    await login('web', 'bob');
    await login('web', 'ada');
    await login('app', 'ada');
    const all = await api('GET', '/clients/web/families', readToken);
    expect(all.status).toBe(200);
    const items = all.body.items as Family[];
    expect(items).toHaveLength(3);
    expect(items.map((f) => f.subject).sort()).toEqual(['u-ada', 'u-ada', 'u-bob']);
    for (const f of items) {
      expect(f).toMatchObject({ client_id: 'web', status: 'active' });
      expect(Date.parse(f.last_used_at!)).toBeGreaterThanOrEqual(Date.parse(f.created_at));
    }
    expect(all.text).not.toMatch(/refresh_token"/);
    const ids = items.map((f) => f.family_id);
    expect(ids).toEqual([...ids].sort());
    const page1 = await api('GET', '/clients/web/families?limit=2');
    expect((page1.body.items as Family[]).map((f) => f.family_id)).toEqual(ids.slice(0, 2));
    expect(page1.headers.get('link')).toBe(`</admin/v1/clients/web/families?limit=2&cursor=${page1.body.next as string}>; rel="next"`);
    const page2 = await api('GET', `/clients/web/families?limit=2&cursor=${page1.body.next as string}`);
    expect((page2.body.items as Family[]).map((f) => f.family_id)).toEqual(ids.slice(2));
    expect(page2.body.next).toBeNull();
    expectProblem(await api('GET', '/clients/nobody/families'), 404);
    expectProblem(await api('GET', '/clients/web/families?limit=x'), 400);
  });

  it('revoke-sessions ends every refresh token of the client (200 with the count), leaves other clients\' and the client itself working', async () => {
    const webTokens = [await login('web', 'ada'), await login('web', 'bob')];
    const appToken = await login('app', 'ada');
    expectProblem(await api('POST', '/clients/web/revoke-sessions', readToken), 403);
    const before = ((await api('GET', '/clients/web/families')).body.items as Family[]).filter((f) => f.status === 'active').length;
    const r = await api('POST', '/clients/web/revoke-sessions');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ client_id: 'web', revoked_refresh_token_families: before });
    for (const t of webTokens) expect((await refresh('web', t)).status).toBe(400);
    expect((await refresh('app', appToken)).status).toBe(200);
    const after = (await api('GET', '/clients/web/families')).body.items as Family[];
    expect(after.every((f) => f.status === 'revoked')).toBe(true);
    // The client stays active: a new sign-in works and is a new session.
    const fresh = await login('web', 'ada');
    expect((await refresh('web', fresh)).status).toBe(200);
    expect((await api('POST', '/clients/web/revoke-sessions')).body.revoked_refresh_token_families).toBe(1);
    expect((await api('POST', '/clients/web/revoke-sessions')).body.revoked_refresh_token_families).toBe(0);
    expectProblem(await api('POST', '/clients/nobody/revoke-sessions'), 404);
  });
});
