import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { loadConfig, readTracing } from '../../src/config.js';
import { startTracing } from '../../src/observability/otel-sdk.js';
import { tracingOn } from '../../src/observability/tracing.js';
import { basic, startTestServer } from '../support/server.js';
import { startPeer, type Peer } from '../support/peer.js';

/** Issue 21: tracing from the standard OTEL_* variables only, and a real OTLP/HTTP export to a loopback collector. */
describe('tracing settings from OTEL_*', () => {
  const tracing = (env: Record<string, string>) => loadConfig({}, env).tracing;

  it('is off with nothing set, and OTEL_SDK_DISABLED=true wins over an exporter or an endpoint', () => {
    expect(tracing({})).toEqual({ exporter: 'none', serviceName: 'tessera', sampleRatio: 1 });
    expect(tracing({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).exporter).toBe('none');
    expect(tracing({ OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).exporter).toBe('otlp');
  });

  it('turns on with OTEL_TRACES_EXPORTER or an OTLP endpoint; reads the service name and the sampler ratio', () => {
    expect(tracing({ OTEL_TRACES_EXPORTER: 'otlp' }).exporter).toBe('otlp');
    expect(tracing({ OTEL_TRACES_EXPORTER: 'console' }).exporter).toBe('console');
    expect(tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).exporter).toBe('otlp');
    expect(tracing({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).exporter).toBe('none');
    expect(tracing({ OTEL_SERVICE_NAME: 'auth-eu', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toEqual({ exporter: 'none', serviceName: 'auth-eu', sampleRatio: 0.25 });
    expect(readTracing({ OTEL_TRACES_EXPORTER: '' })).toBeUndefined();
  });

  it('refuses what it cannot honour, with the variable named', () => {
    expect(() => tracing({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER=zipkin is not supported/);
    expect(() => tracing({ OTEL_TRACES_EXPORTER: 'otlp,console' })).toThrow(/one exporter/);
    expect(() => tracing({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_TRACES_EXPORTER: 'otlp' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported/);
    expect(() => tracing({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    expect(() => tracing({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toThrow(/OTEL_TRACES_SAMPLER=jaeger_remote/);
  });
});

describe('the OTLP exporter', () => {
  let collector: Peer;
  afterAll(async () => collector?.close());

  it('starts only when asked, and exports the request spans to the collector over HTTP', async () => {
    const logger = pino({ level: 'silent' });
    expect(await startTracing(loadConfig({}, {}).tracing, logger, { version: 't' })).toBeUndefined();
    expect(tracingOn()).toBe(false);

    collector = await startPeer({ '/v1/traces': () => ({ body: {} }) });
    // The exporter reads its endpoint from the environment itself, as the OpenTelemetry SDKs do.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    const handle = await startTracing(loadConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'tessera-test' }).tracing, logger, { version: 't' });
    expect(handle).toBeDefined();
    expect(tracingOn()).toBe(true);
    const s = await startTestServer({ doc: { clients: [{ client_id: 'svc', client_secret: 'otlp-secret-0123456789', grant_types: ['client_credentials'], scope: 'read' }] } });
    try {
      expect((await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', 'otlp-secret-0123456789') })).status).toBe(200);
    } finally {
      await s.stop();
      await handle!.shutdown();
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    }
    expect(tracingOn()).toBe(false);
    const sent = collector.requests.filter((r) => r.path === '/v1/traces');
    expect(sent.length).toBeGreaterThan(0);
    const body = sent.map((r) => r.body).join('\n');
    expect(body).toContain('POST /oauth/token');
    expect(body).toContain('grant client_credentials');
    expect(body).toContain('tessera-test');
    expect(body).not.toContain('otlp-secret-0123456789');
  });
});
