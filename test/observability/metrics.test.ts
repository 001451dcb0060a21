import { describe, expect, it } from 'vitest';
import { AggregatorRegistry } from 'prom-client';
import { loadConfig } from '../../src/config.js';
import { EventHub } from '../../src/observability/events.js';
import { Metrics } from '../../src/observability/metrics.js';
import { metricsEventSink } from '../../src/observability/metrics-sink.js';
import { sampleValue } from '../support/prometheus.js';

/** The registry's text without the process metrics (render merges them in). */
const text = (m: Metrics) => m.registry.metrics();

describe('Metrics', () => {
  it('counts tokens per grant type, and per client only for the named ones', async () => {
    const m = new Metrics({ perClient: ['a'] });
    m.tokenIssued('client_credentials', 'a');
    m.tokenIssued('client_credentials', 'b');
    m.tokenIssued('client_credentials', 'c');
    m.tokenIssued('password', 'a');
    const t = await text(m);
    expect(sampleValue(t, 'tessera_tokens_issued_total', { grant_type: 'client_credentials' })).toBe(2);
    expect(sampleValue(t, 'tessera_tokens_issued_total', { grant_type: 'client_credentials', client_id: 'a' })).toBe(1);
    expect(sampleValue(t, 'tessera_tokens_issued_total', { grant_type: 'password', client_id: 'a' })).toBe(1);
    expect(sampleValue(t, 'tessera_tokens_issued_total', { grant_type: 'password' })).toBeUndefined();
    expect(t).not.toMatch(/client_id="[bc]"/);
  });

  it('writes cumulative histogram buckets per route and status class, anything outside 1xx-5xx as 5xx', async () => {
    const m = new Metrics();
    m.observeRequest('/oauth/token', 200, 0.002);
    m.observeRequest('/oauth/token', 200, 0.2);
    m.observeRequest('/oauth/token', 200, 20);
    m.observeRequest(undefined, 404, 0.001);
    m.observeRequest('/x', 600, 0.001);
    const t = await text(m);
    const b = (le: string) => sampleValue(t, 'tessera_http_request_duration_seconds_bucket', { route: '/oauth/token', status_class: '2xx', le });
    expect([b('0.001'), b('0.0025'), b('0.25'), b('10'), b('+Inf')]).toEqual([0, 1, 2, 2, 3]);
    expect(sampleValue(t, 'tessera_http_request_duration_seconds_sum', { route: '/oauth/token', status_class: '2xx' })).toBeCloseTo(20.202);
    expect(sampleValue(t, 'tessera_http_request_duration_seconds_count', { route: 'unmatched', status_class: '4xx' })).toBe(1);
    expect(sampleValue(t, 'tessera_http_request_duration_seconds_count', { route: '/x', status_class: '5xx' })).toBe(1);
    // Only observed classes have series.
    expect(sampleValue(t, 'tessera_http_request_duration_seconds_count', { route: '/oauth/token', status_class: '5xx' })).toBeUndefined();
  });

  it('sums two processes\' snapshots as the cluster primary does (counters and histograms)', async () => {
    const [w1, w2] = [new Metrics(), new Metrics()];
    w1.tokenIssued('client_credentials', 'x');
    w2.tokenIssued('client_credentials', 'y');
    w2.tokenIssued('client_credentials', 'y');
    w1.observeRequest('/oauth/token', 200, 0.003);
    w2.observeRequest('/oauth/token', 200, 0.004);
    const t = await AggregatorRegistry.aggregate([await w1.snapshot(), await w2.snapshot()] as never).metrics();
    expect(sampleValue(t, 'tessera_tokens_issued_total', { grant_type: 'client_credentials' })).toBe(3);
    expect(sampleValue(t, 'tessera_http_request_duration_seconds_count', { route: '/oauth/token', status_class: '2xx' })).toBe(2);
    expect(sampleValue(t, 'tessera_http_request_duration_seconds_bucket', { route: '/oauth/token', status_class: '2xx', le: '0.005' })).toBe(2);
    // Present in the sum (its value is a delta since the collector's last read, so it may be 0 here).
    expect(sampleValue(t, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
  });

  it('reads the watched parts only when scraped, and registers no gauge for a part the node lacks', async () => {
    const m = new Metrics();
    let waiting = 3;
    const refused = { address_budget: 1, queue_full: 0, deadline: 2, abandoned: 0 };
    m.watch({
      kdf: { load: () => ({ running: 2, waiting, limit: 4 }), stats: () => ({ waited: 5, waitSeconds: 1.5, refused }) },
      redis: { isReady: false, breaker: { state: 'open' } },
      signer: { threaded: false, queueDepth: () => 9 },
    });
    let t = await text(m);
    expect(sampleValue(t, 'tessera_kdf_waiting')).toBe(3);
    expect(sampleValue(t, 'tessera_kdf_wait_seconds_total')).toBe(1.5);
    expect(sampleValue(t, 'tessera_kdf_refusals_total', { reason: 'deadline' })).toBe(2);
    expect(sampleValue(t, 'tessera_redis_up')).toBe(0);
    expect(sampleValue(t, 'tessera_redis_breaker_state', { state: 'open' })).toBe(1);
    expect(sampleValue(t, 'tessera_redis_breaker_state', { state: 'closed' })).toBe(0);
    expect(t).not.toMatch(/tessera_signing_queue_depth|tessera_store_up/);
    waiting = 0;
    refused.deadline = 7;
    t = await text(m);
    expect(sampleValue(t, 'tessera_kdf_waiting')).toBe(0);
    expect(sampleValue(t, 'tessera_kdf_refusals_total', { reason: 'deadline' })).toBe(7);
  });
});

describe('metricsEventSink', () => {
  it('counts every event by type and the facts with counters of their own', async () => {
    const m = new Metrics();
    const hub = new EventHub();
    hub.addSink(metricsEventSink(m));
    hub.emit({ type: 'refresh.reuse_detected', clientId: 'c', details: { family_id: 'f' } });
    hub.emit({ type: 'family.revoked', details: { family_id: 'f' } });
    hub.emit({ type: 'token.revoked' });
    hub.emit({ type: 'installation.revoked' });
    hub.emit({ type: 'login.throttled' });
    hub.emit({ type: 'login.failed' });
    hub.emit({ type: 'client.auth_failed', details: { method: 'private_key_jwt' } });
    hub.emit({ type: 'client.auth_failed', details: {} });
    hub.emit({ type: 'admin.change' });
    const t = await text(m);
    expect(sampleValue(t, 'tessera_refresh_reuse_detected_total')).toBe(1);
    expect(sampleValue(t, 'tessera_revocations_total', { kind: 'family' })).toBe(1);
    expect(sampleValue(t, 'tessera_revocations_total', { kind: 'token' })).toBe(1);
    expect(sampleValue(t, 'tessera_revocations_total', { kind: 'installation' })).toBe(1);
    expect(sampleValue(t, 'tessera_login_throttled_total')).toBe(1);
    expect(sampleValue(t, 'tessera_login_failures_total')).toBe(1);
    expect(sampleValue(t, 'tessera_client_auth_failures_total', { method: 'private_key_jwt' })).toBe(1);
    expect(sampleValue(t, 'tessera_client_auth_failures_total', { method: 'unknown' })).toBe(1);
    expect(sampleValue(t, 'tessera_security_events_total', { type: 'client.auth_failed' })).toBe(2);
    expect(sampleValue(t, 'tessera_security_events_total', { type: 'admin.change' })).toBe(1);
    // Every type has a series from the start, so rate() sees the first event.
    expect(sampleValue(t, 'tessera_security_events_total', { type: 'key.rotated' })).toBe(0);
  });
});

describe('metrics settings', () => {
  it('come from the flag, the environment or the file', () => {
    expect(loadConfig({}, {}).metrics).toEqual({ enabled: true, public: false, perClient: [] });
    expect(loadConfig({ metricsPublic: true }, {}).metrics.public).toBe(true);
    const env = loadConfig({}, { TESSERA_METRICS_PUBLIC: 'yes', TESSERA_METRICS_ENABLED: 'false', TESSERA_METRICS_PER_CLIENT: ' a, b ,,' }).metrics;
    expect(env).toEqual({ enabled: false, public: true, perClient: ['a', 'b'] });
  });

  it('refuses a bad value with a message naming the setting', () => {
    expect(() => loadConfig({}, { TESSERA_METRICS_PUBLIC: 'maybe' })).toThrow(/TESSERA_METRICS_PUBLIC/);
    expect(() => loadConfig({}, { TESSERA_METRICS_PER_CLIENT: 'a,a' })).toThrow(/metrics\.perClient/);
    expect(() => loadConfig({}, { TESSERA_METRICS_PER_CLIENT: Array.from({ length: 101 }, (_, i) => `c${i}`).join(',') })).toThrow(/metrics\.perClient/);
  });
});

describe('Metrics: token hook and client-secret use', () => {
  it('reads the hook outcomes and, for perClient clients only, the uses of each secret', async () => {
    const m = new Metrics({ perClient: ['named'] });
    const counters = { ok: 3, timeout: 1, error: 0, rejected: 2 };
    const uses = { named: { a1b2c3d4: { uses: 5 }, e5f6a7b8: { uses: 1 } }, other: { '0000ffff': { uses: 9 } } };
    m.watch({ tokenHook: { counters }, secretUsage: { snapshot: () => uses } });
    let t = await text(m);
    expect(sampleValue(t, 'tessera_token_hook_calls_total', { outcome: 'ok' })).toBe(3);
    expect(sampleValue(t, 'tessera_token_hook_calls_total', { outcome: 'rejected' })).toBe(2);
    expect(sampleValue(t, 'tessera_client_secret_used_total', { client_id: 'named', secret_id: 'a1b2c3d4' })).toBe(5);
    expect(t).not.toContain('client_id="other"');
    counters.ok = 4;
    uses.named.e5f6a7b8.uses = 7;
    t = await text(m);
    expect(sampleValue(t, 'tessera_token_hook_calls_total', { outcome: 'ok' })).toBe(4);
    expect(sampleValue(t, 'tessera_client_secret_used_total', { client_id: 'named', secret_id: 'e5f6a7b8' })).toBe(7);
  });

  it('exports no per-secret series without perClient clients', async () => {
    const m = new Metrics();
    m.watch({ secretUsage: { snapshot: () => ({ c: { s: { uses: 1 } } }) } });
    expect(await text(m)).not.toContain('tessera_client_secret_used_total');
  });
});
