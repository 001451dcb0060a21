import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { parseSamples, sampleValue } from '../support/prometheus.js';
import { call, expectProblem } from './admin/helpers.js';

const SECRET = 'metrics-secret-1234';
const PASSWORD = 'correct horse battery';
const CLIENTS = [
  { client_id: 'admin', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:admin' },
  { client_id: 'scraper', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:metrics' },
  { client_id: 'plain', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'named', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'app', client_secret: SECRET, grant_types: ['password', 'refresh_token'], scope: 'read' },
];
const DOC = { clients: CLIENTS, users: [{ username: 'alice', password: PASSWORD }, { username: 'victim', password: PASSWORD }] };

async function tokenOf(s: TestServer, clientId: string): Promise<string> {
  const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(clientId, SECRET) });
  expect(r.status).toBe(200);
  return r.body.access_token as string;
}

async function scrape(base: string, token: string): Promise<string> {
  const r = await call(base, 'GET', '/metrics', { token });
  expect(r.status, r.text).toBe(200);
  return r.text;
}

describe('/metrics on the main listener', () => {
  let s: TestServer;
  let scraperToken: string;

  beforeAll(async () => {
    s = await startTestServer({
      doc: DOC,
      env: { TESSERA_METRICS_PER_CLIENT: 'named', TESSERA_LOGIN_THROTTLE_FREE_ATTEMPTS: '1', TESSERA_LOGIN_THROTTLE_BASE_DELAY_MS: '60000', TESSERA_LOGIN_THROTTLE_MAX_DELAY_MS: '60000' },
    });
    scraperToken = await tokenOf(s, 'scraper');
  });
  afterAll(async () => s.stop());

  it('refuses a scrape without a token (401), with a bad token (401) or without the scope (403), as the admin API does', async () => {
    const none = await call(s.url, 'GET', '/metrics');
    expectProblem(none, 401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="tessera-metrics"');
    const bad = await call(s.url, 'GET', '/metrics', { token: 'not-a-token' });
    expectProblem(bad, 401);
    expect(bad.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    const basicAuth = await call(s.url, 'GET', '/metrics', { headers: { authorization: basic('scraper', SECRET) } });
    expectProblem(basicAuth, 401);
    const wrongScope = await call(s.url, 'GET', '/metrics', { token: await tokenOf(s, 'plain') });
    expectProblem(wrongScope, 403);
    expect(wrongScope.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="tessera:metrics"/);
    expect(wrongScope.text).not.toMatch(/tessera_tokens_issued_total/);
  });

  it('serves the Prometheus text format to tessera:metrics and tessera:admin tokens', async () => {
    const r = await call(s.url, 'GET', '/metrics', { token: scraperToken });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.text).toMatch(/^# HELP tessera_tokens_issued_total /m);
    expect((await call(s.url, 'GET', '/metrics', { token: await tokenOf(s, 'admin') })).status).toBe(200);
  });

  it('counts tokens by grant type, with a client_id label only for the clients named in metrics.perClient', async () => {
    const before = await scrape(s.url, scraperToken);
    const cc = sampleValue(before, 'tessera_tokens_issued_total', { grant_type: 'client_credentials' }) ?? 0;
    for (let i = 0; i < 3; i++) await tokenOf(s, 'plain');
    for (let i = 0; i < 2; i++) await tokenOf(s, 'named');
    const after = await scrape(s.url, scraperToken);
    expect(sampleValue(after, 'tessera_tokens_issued_total', { grant_type: 'client_credentials' })).toBe(cc + 3);
    expect(sampleValue(after, 'tessera_tokens_issued_total', { grant_type: 'client_credentials', client_id: 'named' })).toBe(2);
    // Other clients never become a label value: bounded cardinality.
    const ids = parseSamples(after).flatMap((x) => (x.labels.client_id ? [x.labels.client_id] : []));
    expect(new Set(ids)).toEqual(new Set(['named']));
  });

  it('counts token-endpoint errors by code and failed client authentications by method (from the event hub)', async () => {
    const before = await scrape(s.url, scraperToken);
    expect((await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('plain', 'wrong-secret') })).status).toBe(401);
    expect((await s.post('/oauth/token', { grant_type: 'client_credentials', client_id: 'plain', client_secret: 'wrong' })).status).toBe(401);
    expect((await s.post('/oauth/token', { grant_type: 'urn:nope' }, { authorization: basic('plain', SECRET) })).status).toBe(400);
    const after = await scrape(s.url, scraperToken);
    const delta = (name: string, labels: Record<string, string>) => (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
    expect(delta('tessera_token_errors_total', { error: 'invalid_client' })).toBe(2);
    expect(delta('tessera_token_errors_total', { error: 'unsupported_grant_type' })).toBe(1);
    expect(delta('tessera_client_auth_failures_total', { method: 'client_secret_basic' })).toBe(1);
    expect(delta('tessera_client_auth_failures_total', { method: 'client_secret_post' })).toBe(1);
    expect(delta('tessera_security_events_total', { type: 'client.auth_failed' })).toBe(2);
  });

  it('counts a rotation, a reuse detection and a family revocation', async () => {
    const app = basic('app', SECRET);
    const login = await s.post('/oauth/token', { grant_type: 'password', username: 'alice', password: PASSWORD }, { authorization: app });
    expect(login.status).toBe(200);
    const first = login.body.refresh_token as string;
    const rotated = await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: first }, { authorization: app });
    expect(rotated.status).toBe(200);
    let text = await scrape(s.url, scraperToken);
    expect(sampleValue(text, 'tessera_refresh_rotations_total')).toBe(1);
    expect(sampleValue(text, 'tessera_refresh_reuse_detected_total')).toBe(0);
    expect(sampleValue(text, 'tessera_tokens_issued_total', { grant_type: 'password' })).toBe(1);
    expect(sampleValue(text, 'tessera_tokens_issued_total', { grant_type: 'refresh_token' })).toBe(1);

    const reused = await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: first }, { authorization: app });
    expect(reused.body.error).toBe('invalid_grant');
    text = await scrape(s.url, scraperToken);
    expect(sampleValue(text, 'tessera_refresh_reuse_detected_total')).toBe(1);
    expect(sampleValue(text, 'tessera_security_events_total', { type: 'refresh.reuse_detected' })).toBe(1);
    expect(sampleValue(text, 'tessera_refresh_rotations_total')).toBe(1);

    const again = await s.post('/oauth/token', { grant_type: 'password', username: 'alice', password: PASSWORD }, { authorization: app });
    expect((await s.post('/oauth/revoke', { token: again.body.refresh_token as string }, { authorization: app })).status).toBe(200);
    // Revoking what is already gone, or a token that is not ours, is no revocation (RFC 7009 §2.2 answers alike).
    expect((await s.post('/oauth/revoke', { token: again.body.refresh_token as string }, { authorization: app })).status).toBe(200);
    expect((await s.post('/oauth/revoke', { token: 'x'.repeat(43) }, { authorization: app })).status).toBe(200);
    text = await scrape(s.url, scraperToken);
    expect(sampleValue(text, 'tessera_revocations_total', { kind: 'family' })).toBe(1);
    expect(sampleValue(text, 'tessera_security_events_total', { type: 'family.revoked' })).toBe(1);
  });

  it('counts failed and throttled logins', async () => {
    const app = basic('app', SECRET);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await s.post('/oauth/token', { grant_type: 'password', username: 'victim', password: 'wrong' }, { authorization: app })).status);
    expect(statuses.filter((x) => x === 429).length).toBeGreaterThan(0);
    const text = await scrape(s.url, scraperToken);
    expect(sampleValue(text, 'tessera_login_failures_total')).toBe(statuses.filter((x) => x === 400).length);
    expect(sampleValue(text, 'tessera_login_throttled_total')).toBe(statuses.filter((x) => x === 429).length);
    expect(sampleValue(text, 'tessera_token_errors_total', { error: 'too_many_requests' })).toBe(statuses.filter((x) => x === 429).length);
  });

  it('times requests by route pattern and status class, never by raw URL', async () => {
    await fetch(`${s.url}/no/such/path?secret=1`);
    await fetch(`${s.url}/.well-known/jwks.json`);
    const text = await scrape(s.url, scraperToken);
    const samples = parseSamples(text).filter((x) => x.name.startsWith('tessera_http_request_duration_seconds'));
    expect(samples.some((x) => x.labels.route === '/oauth/token' && x.labels.status_class === '2xx')).toBe(true);
    expect(samples.some((x) => x.labels.route === '/oauth/token' && x.labels.status_class === '4xx')).toBe(true);
    expect(sampleValue(text, 'tessera_http_request_duration_seconds_count', { route: 'unmatched', status_class: '4xx' })).toBe(1);
    expect(sampleValue(text, 'tessera_http_request_duration_seconds_count', { route: '/.well-known/jwks.json', status_class: '2xx' })).toBe(1);
    expect(samples.some((x) => (x.labels.route ?? '').includes('no/such'))).toBe(false);
    // Buckets are cumulative and end in +Inf = count.
    const inf = sampleValue(text, 'tessera_http_request_duration_seconds_bucket', { route: '/.well-known/jwks.json', status_class: '2xx', le: '+Inf' });
    expect(inf).toBe(1);
    expect(sampleValue(text, 'tessera_http_request_duration_seconds_bucket', { route: '/.well-known/jwks.json', status_class: '2xx', le: '10' })).toBe(1);
  });

  it('reports the KDF, store and change-feed gauges and the default process metrics', async () => {
    const text = await scrape(s.url, scraperToken);
    expect(sampleValue(text, 'tessera_kdf_waiting')).toBe(0);
    expect(sampleValue(text, 'tessera_kdf_concurrency')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'tessera_kdf_refusals_total', { reason: 'queue_full' })).toBeGreaterThanOrEqual(0);
    expect(sampleValue(text, 'tessera_store_up')).toBe(1);
    expect(sampleValue(text, 'tessera_change_feed_lag_seconds')).toBeLessThan(5);
    expect(sampleValue(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    // No Redis configured: no Redis gauges rather than a misleading 0.
    expect(text).not.toMatch(/tessera_redis_up/);
  });
});

describe('/metrics placement and settings', () => {
  it('is served on the admin listener when there is one, and not on the public listener', async () => {
    const s = await startTestServer({ doc: DOC, env: { TESSERA_ADMIN_LISTEN: '127.0.0.1:0' } });
    try {
      const token = await tokenOf(s, 'scraper');
      expect((await call(s.url, 'GET', '/metrics', { token })).status).toBe(404);
      const text = await scrape(s.adminUrl!, token);
      expect(sampleValue(text, 'tessera_tokens_issued_total', { grant_type: 'client_credentials' })).toBe(1);
      expectProblem(await call(s.adminUrl!, 'GET', '/metrics'), 401);
    } finally {
      await s.stop();
    }
  });

  it('metrics.public serves it without a token', async () => {
    const s = await startTestServer({ doc: DOC, env: { TESSERA_METRICS_PUBLIC: 'true' } });
    try {
      const r = await call(s.url, 'GET', '/metrics');
      expect(r.status).toBe(200);
      expect(r.text).toMatch(/tessera_tokens_issued_total/);
    } finally {
      await s.stop();
    }
  });

  it('metrics.enabled=false serves no /metrics', async () => {
    const s = await startTestServer({ doc: DOC, env: { TESSERA_METRICS_ENABLED: 'false' } });
    try {
      expect((await call(s.url, 'GET', '/metrics', { token: await tokenOf(s, 'scraper') })).status).toBe(404);
    } finally {
      await s.stop();
    }
  });
});
