import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, followerCaughtUp, startTestServer, type TestServer } from '../support/server.js';

/** Liveness, readiness, OpenAPI, docs, the per-response headers, and what happens when the database goes away. */
const SECRET = 'health-test-secret';
const doc = { clients: [{ client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' }, { client_id: 'cold', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' }] };

describe('health, OpenAPI and headers', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ doc });
  });
  afterAll(async () => s.stop());

  it('/healthz answers 200', async () => {
    const res = await fetch(s.url + '/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 with the database check', async () => {
    const res = await fetch(s.url + '/readyz');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: { database: { ok: boolean } } };
    expect(body.status).toBe('ready');
    expect(body.checks.database.ok).toBe(true);
  });

  it('/openapi.json is OpenAPI 3.1 and documents the token endpoint', async () => {
    const res = await fetch(s.url + '/openapi.json');
    expect(res.status).toBe(200);
    const api = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(api.openapi).toMatch(/^3\.1\./);
    expect(api.paths['/oauth/token']).toHaveProperty('post');
    expect(api.paths).toHaveProperty('/.well-known/oauth-authorization-server');
    expect(api.paths).toHaveProperty('/.well-known/jwks.json');
  });

  it('GET /docs answers HTML', async () => {
    const res = await fetch(s.url + '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/<html/i);
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const good = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET), 'x-request-id': 'abc-123.def:9' });
    expect(good.headers.get('x-request-id')).toBe('abc-123.def:9');
    for (const bad of ['has space', 'x'.repeat(200), 'semi;colon', '<script>']) {
      const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { 'x-request-id': bad });
      const id = r.headers.get('x-request-id');
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('every response carries X-Request-Id and X-Response-Time, errors included', async () => {
    for (const res of [await fetch(s.url + '/healthz'), await fetch(s.url + '/oauth/token'), await fetch(s.url + '/nope'), await fetch(s.url + '/oauth/token', { method: 'POST' })]) {
      expect(res.headers.get('x-request-id')).toMatch(/\S/);
      expect(res.headers.get('x-response-time')).toMatch(/^\d+\.\d\d$/);
    }
  });

  it('X-Response-Time measures the request (a cold client secret pays an argon2id verification), within the round trip', async () => {
    // No request logging here (the default), so the figure cannot come from Fastify's logging timer.
    const t0 = performance.now();
    const cold = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('cold', SECRET) });
    const roundTrip = performance.now() - t0;
    expect(cold.status).toBe(200);
    const reported = Number(cold.headers.get('x-response-time'));
    expect(reported).toBeGreaterThan(0);
    expect(reported).toBeLessThanOrEqual(roundTrip);
  });

  it('generated request ids differ per request', async () => {
    const a = (await fetch(s.url + '/healthz')).headers.get('x-request-id');
    const b = (await fetch(s.url + '/healthz')).headers.get('x-request-id');
    expect(a).not.toBe(b);
  });
});

describe('when the database goes away under a running server', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ doc });
    await followerCaughtUp(s);
  });
  afterAll(async () => s.stop());

  it('token requests get a JSON 5xx with the request id and no internals, /readyz says 503, the process lives', async () => {
    // Warm: the client is cached and its secret verified; no change the follower has yet to report can evict it.
    expect((await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET) })).status).toBe(200);
    expect(s.ctx.clients.peek('svc')).toBeDefined();
    await s.ctx.store.close();

    const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('cold', SECRET), 'x-request-id': 'req-db-gone' });
    expect([500, 503]).toContain(r.status);
    expect(['server_error', 'temporarily_unavailable']).toContain(r.body.error);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('x-request-id')).toBe('req-db-gone');
    if (r.status === 500) expect(r.body.error_description).toContain('req-db-gone');
    else expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(Object.keys(r.body).sort()).toEqual(['error', 'error_description']);
    expect(JSON.stringify(r.body)).not.toMatch(/stack|kysely|sqlite|driver|destroyed|\bat \S+ \(|\.ts:|\.js:/i);

    const ready = await fetch(s.url + '/readyz');
    expect(ready.status).toBe(503);
    const readyBody = (await ready.json()) as { status: string; checks: { database: { ok: boolean; detail?: string } } };
    expect(readyBody.status).toBe('unavailable');
    // A public readiness answer names the kind of failure, never the driver's message (hosts, ports, SQL).
    expect(readyBody.checks.database).toEqual({ ok: false, detail: expect.stringMatching(/^unreachable( \([A-Za-z0-9_]+\))?$/) });

    // The follower's polls now fail (it reports so on /readyz); a failing poll evicts nothing.
    const deadline = Date.now() + 10_000;
    let sync: { ok: boolean } | undefined;
    while (Date.now() < deadline) {
      sync = ((await (await fetch(s.url + '/readyz')).json()) as { checks: { cache_sync: { ok: boolean } } }).checks.cache_sync;
      if (!sync.ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sync?.ok).toBe(false);

    // The cached client on the hot path keeps working: no database round trip in steady state.
    expect((await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET) })).status).toBe(200);
    expect((await fetch(s.url + '/healthz')).status).toBe(200);
  });
});
