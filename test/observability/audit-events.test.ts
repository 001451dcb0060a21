import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL, type TestDatabase } from '../support/services.js';
import { basic, type TestServer } from '../support/server.js';
import { ADMIN_CLIENTS, call, SECRET, startAdminServer, tokenOf } from '../http/admin/helpers.js';
import { startTestServer } from '../support/server.js';

/**
 * Every audit event type produced by the real flow that causes it, over HTTP, read back through
 * GET /admin/v1/events, on SQLite and (when it answers) PostgreSQL.
 */
const APP_SECRET = 'app-secret-abcdef-123456';
const PASSWORD = 'correct horse battery';
const WRONG_PASSWORD = 'wrong-password-xyz-987';
const DOC = {
  clients: [
    ...ADMIN_CLIENTS,
    { client_id: 'app', client_secret: APP_SECRET, grant_types: ['password', 'refresh_token', 'client_credentials'], scope: 'read' },
    { client_id: 'tiny', client_secret: APP_SECRET, grant_types: ['client_credentials'], scope: 'read', rate_limit: { points: 1, duration: 60 } },
  ],
  users: [{ username: 'alice', password: PASSWORD }],
  organizations: [{ id: 'acme', name: 'Acme' }],
};

/** An event as the admin API returns it. */
type Ev = { id: string; time: string; client_id: string | null; details: Record<string, unknown> } & Record<string, unknown>;

const pg = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  describe.skipIf(backend === 'PostgreSQL' && !pg)(`audit events over HTTP (${backend})`, () => {
    let db: TestDatabase | undefined;
    let s: TestServer;
    let admin: string;
    const secrets: string[] = [APP_SECRET, PASSWORD, WRONG_PASSWORD, SECRET];
    const api = (method: string, path: string, body?: unknown) => call(s.url, method, `/admin/v1${path}`, { token: admin, ...(body !== undefined ? { body } : {}) });

    /** The events matching `query`, waiting for the batched writer (flushes every 100 ms; give it 1 s). */
    async function events(query: string, atLeast = 1): Promise<Ev[]> {
      const deadline = Date.now() + 1000;
      for (;;) {
        const r = await api('GET', `/events?${query}&limit=200`);
        expect(r.status).toBe(200);
        const items = r.body.items as Ev[];
        if (items.length >= atLeast || Date.now() > deadline) return items;
        await new Promise((res) => setTimeout(res, 50));
      }
    }

    beforeAll(async () => {
      db = backend === 'PostgreSQL' ? await createTestDatabase() : undefined;
      const env: Record<string, string> = { TESSERA_LOGIN_THROTTLE_FREE_ATTEMPTS: '2', TESSERA_LOGIN_THROTTLE_BASE_DELAY_MS: '60000', TESSERA_LOGIN_THROTTLE_MAX_DELAY_MS: '60000' };
      if (db) env.TESSERA_DATABASE_URL = db.url;
      s = await startTestServer({ doc: DOC, env });
      admin = await tokenOf(s, 'admin');
    }, 60_000);
    afterAll(async () => {
      await s?.stop();
      await db?.drop();
    });

    it('client.auth_failed names the claimed client and the method, never the secret', async () => {
      const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('app', 'not-the-secret-123') });
      expect(r.status).toBe(401);
      const [e] = await events('type=client.auth_failed&client_id=app');
      expect(e).toMatchObject({ type: 'client.auth_failed', client_id: 'app', address: '127.0.0.1', details: { method: 'client_secret_basic', reason: 'invalid_client' } });
      expect(e!.request_id).toEqual(expect.any(String));
      expect(JSON.stringify(e)).not.toContain('not-the-secret-123');
    });

    it('login.failed, then login.throttled once the throttle refuses', async () => {
      const login = (password: string) => s.post('/oauth/token', { grant_type: 'password', username: 'bob', password }, { authorization: basic('app', APP_SECRET) });
      const statuses: number[] = [];
      for (let i = 0; i < 8 && !statuses.includes(429); i++) statuses.push((await login(WRONG_PASSWORD)).status);
      expect(statuses[0]).toBe(400);
      expect(statuses.at(-1)).toBe(429);
      const failed = await events('type=login.failed&client_id=app', 2);
      expect(failed.length).toBeGreaterThanOrEqual(2);
      expect(failed[0]).toMatchObject({ client_id: 'app', details: { username: 'bob' } });
      const [throttled] = await events('type=login.throttled&client_id=app');
      expect(throttled).toMatchObject({ type: 'login.throttled', details: { username: 'bob' } });
    });

    it('refresh.reuse_detected with the family revoked', async () => {
      const first = await s.post('/oauth/token', { grant_type: 'password', username: 'alice', password: PASSWORD }, { authorization: basic('app', APP_SECRET) });
      expect(first.status).toBe(200);
      const old = first.body.refresh_token as string;
      expect((await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: old }, { authorization: basic('app', APP_SECRET) })).status).toBe(200);
      expect((await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: old }, { authorization: basic('app', APP_SECRET) })).status).toBe(400);
      const [e] = await events('type=refresh.reuse_detected&client_id=app');
      expect(e).toMatchObject({ client_id: 'app', details: { family_revoked: true, family_id: expect.any(String) } });
      secrets.push(old, first.body.access_token as string);
    });

    it('token.revoked (a JWT by jti) and family.revoked (a refresh token) from the revocation endpoint', async () => {
      const t = await s.post('/oauth/token', { grant_type: 'password', username: 'alice', password: PASSWORD }, { authorization: basic('app', APP_SECRET) });
      const access = t.body.access_token as string;
      const refresh = t.body.refresh_token as string;
      secrets.push(access, refresh);
      expect((await s.post('/oauth/revoke', { token: access }, { authorization: basic('app', APP_SECRET) })).status).toBe(200);
      expect((await s.post('/oauth/revoke', { token: refresh }, { authorization: basic('app', APP_SECRET) })).status).toBe(200);
      const [tr] = await events('type=token.revoked&client_id=app');
      expect(tr).toMatchObject({ details: { token_type: 'access_token', format: 'jwt', jti: expect.any(String) } });
      const fams = await events('type=family.revoked&client_id=app');
      expect(fams.some((f) => f.details.reason === 'revocation_endpoint')).toBe(true);
    });

    it('rate_limit.rejected once per key and window, not once per refused request', async () => {
      expect((await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('tiny', APP_SECRET) })).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('tiny', APP_SECRET) })).status).toBe(429);
      const got = await events('type=rate_limit.rejected&client_id=tiny');
      await new Promise((res) => setTimeout(res, 250));
      expect(await events('type=rate_limit.rejected&client_id=tiny')).toHaveLength(1);
      expect(got[0]).toMatchObject({ details: { limit: 'client', points: 1, window: 60 } });
    });

    it('admin changes carry their actor; installation, family and key events too', async () => {
      expect((await api('POST', '/clients', { client_id: 'made-by-api', grant_types: ['client_credentials', 'org_implicit'], scope: 'read' })).status).toBe(201);
      const [created] = await events('type=admin.change&client_id=made-by-api');
      expect(created).toMatchObject({ actor: { kind: 'admin_api', id: 'admin' }, address: '127.0.0.1', details: { resource: 'client', action: 'create', id: 'made-by-api' } });

      expect((await api('POST', '/organizations/acme/installations', { client_id: 'made-by-api', scope: 'read' })).status).toBe(201);
      expect((await api('POST', '/organizations/acme/installations/made-by-api/revoke')).status).toBe(200);
      const [inst] = await events('type=installation.revoked&client_id=made-by-api');
      expect(inst).toMatchObject({ subject: 'acme', actor: { kind: 'admin_api', id: 'admin' }, details: { org_id: 'acme' } });

      const login = await s.post('/oauth/token', { grant_type: 'password', username: 'alice', password: PASSWORD }, { authorization: basic('app', APP_SECRET) });
      secrets.push(login.body.access_token as string, login.body.refresh_token as string);
      const families = await api('GET', '/clients/app/families?limit=200');
      const active = (families.body.items as Array<{ family_id: string; status: string }>).find((f) => f.status === 'active')!;
      expect((await api('DELETE', `/families/${active.family_id}`)).status).toBe(204);
      const revoked = await events('type=family.revoked&client_id=app', 2);
      expect(revoked.find((f) => f.details.family_id === active.family_id)).toMatchObject({ actor: { kind: 'admin_api', id: 'admin' }, details: { reason: 'admin' } });

      const before = (await api('GET', '/keys')).body.items as Array<{ kid: string; status: string }>;
      const rotated = await api('POST', '/keys/rotate');
      expect(rotated.status).toBe(201);
      const [k] = await events('type=key.rotated');
      expect(k).toMatchObject({ actor: { kind: 'admin_api', id: 'admin' }, details: { kid: rotated.body.kid } });
      const retired = await events('type=key.retired');
      expect(retired.map((e) => e.details.kid)).toContain(before.find((x) => x.status === 'active')!.kid);
    });

    it('filters, pages with the cursor, and refuses bad queries with a problem', async () => {
      const all = await events('client_id=app', 5);
      const pages: string[] = [];
      let cursor: string | null = null;
      do {
        const r = await api('GET', `/events?client_id=app&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(r.status).toBe(200);
        pages.push(...(r.body.items as Array<{ id: string }>).map((e) => e.id));
        cursor = r.body.next as string | null;
      } while (cursor);
      expect(pages).toEqual(all.map((e) => e.id));
      expect([...pages].sort()).toEqual(pages);
      const first = all[0]!;
      const since = await api('GET', `/events?client_id=app&since=${encodeURIComponent(all.at(-1)!.time)}`);
      expect((since.body.items as unknown[]).length).toBeGreaterThanOrEqual(1);
      expect((since.body.items as unknown[]).length).toBeLessThan(all.length);
      const until = await api('GET', `/events?client_id=app&until=${encodeURIComponent(first.time)}`);
      expect(until.body.items).toEqual([]);
      for (const bad of ['type=nope', 'since=yesterday', 'until=2020-01-01T00:00:00Z&since=2021-01-01T00:00:00Z', 'limit=0', 'cursor=%%%']) {
        const r = await api('GET', `/events?${bad}`);
        expect(r.status, bad).toBe(400);
        expect(r.headers.get('content-type')).toContain('application/problem+json');
      }
    });

    it('a read-only admin token may query; a token without the admin scope may not', async () => {
      const reader = await tokenOf(s, 'reader');
      expect((await call(s.url, 'GET', '/admin/v1/events', { token: reader })).status).toBe(200);
      const plain = await tokenOf(s, 'plain');
      expect((await call(s.url, 'GET', '/admin/v1/events', { token: plain })).status).toBe(403);
    });

    it('token.issued is off by default, and no event holds a secret, a password or a token', async () => {
      expect(await events('type=token.issued', 0)).toEqual([]);
      const everything = JSON.stringify(await events('since=2000-01-01T00:00:00Z', 0));
      for (const secret of secrets) expect(everything).not.toContain(secret);
    });
  });
}

describe('token.issued sampling (events.issued)', () => {
  it('all: every issued token is recorded with its grant type', async () => {
    const s = await startAdminServer({ TESSERA_EVENTS_ISSUED: 'all' });
    try {
      const admin = await tokenOf(s, 'admin');
      await tokenOf(s, 'reader');
      const deadline = Date.now() + 1000;
      let items: Ev[] = [];
      while (items.length < 2 && Date.now() < deadline) {
        items = (await call(s.url, 'GET', '/admin/v1/events?type=token.issued', { token: admin })).body.items as Ev[];
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(items.map((e) => e.client_id)).toEqual(expect.arrayContaining(['admin', 'reader']));
      expect(items[0]).toMatchObject({ details: { grant_type: 'client_credentials', scope: expect.any(String) } });
      expect(JSON.stringify(items)).not.toContain(admin);
    } finally {
      await s.stop();
    }
  });

  it('off: the hub builds no event at all on the token path', async () => {
    const s = await startAdminServer();
    try {
      expect(s.ctx.events.wants('token.issued')).toBe(false);
      expect(s.ctx.events.wants('login.failed')).toBe(true);
    } finally {
      await s.stop();
    }
  });
});
