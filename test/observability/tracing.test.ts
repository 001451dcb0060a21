import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { trace, context, propagation } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { setTracing, tracingOn } from '../../src/observability/tracing.js';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { jwks, makeKey, nowSeconds, sign, startPeer, type Peer, type TestKey } from '../support/peer.js';

/**
 * Issue 21, tracing: spans captured by an in-memory exporter for real requests to a real server, their
 * parent/child relations, an incoming W3C traceparent honoured, traceparent sent to an upstream JWKS host, and
 * nothing recorded when tracing is off.
 */
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const SECRET = 'trace-secret-0123456789';
const PASSWORD = 'trace-password-correct horse';
const TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let s: TestServer;
let peer: Peer;
let key: TestKey;

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const named = (name: string) => spans().filter((x) => x.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const serverSpan = () => {
  const found = spans().filter((x) => x.name === 'POST /oauth/token');
  expect(found).toHaveLength(1);
  return found[0]!;
};
/** Every span of the request's trace, and each one's chain up to the server span. */
function descendsFrom(span: ReadableSpan, root: ReadableSpan): boolean {
  const byId = new Map(spans().map((x) => [x.spanContext().spanId, x]));
  let at: ReadableSpan | undefined = span;
  while (at && parentOf(at)) {
    if (parentOf(at) === root.spanContext().spanId) return true;
    at = byId.get(parentOf(at)!);
  }
  return false;
}

beforeAll(async () => {
  provider.register();
  setTracing(true);
  key = await makeKey('t-1', 'ES256');
  peer = await startPeer({ '/jwks': () => ({ body: jwks(key) }) });
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials', 'password', 'refresh_token'], scope: 'read' },
        { client_id: 'remote', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${peer.url}/jwks`, grant_types: ['client_credentials'], scope: 'read' },
      ],
      users: [{ username: 'ada', password: PASSWORD }],
    },
  });
}, 30_000);

afterAll(async () => {
  await s?.stop();
  await peer?.close();
  setTracing(false);
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

beforeEach(() => exporter.reset());

describe('tracing on', () => {
  it('client_credentials: a server span with route and status; client authentication and the grant as its children; signing under the grant', async () => {
    const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET) });
    expect(r.status).toBe(200);
    const root = serverSpan();
    expect(root.kind).toBe(1); // SpanKind.SERVER
    expect(root.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/oauth/token', 'http.response.status_code': 200, 'oauth.client_id': 'svc', 'oauth.grant_type': 'client_credentials' });
    expect(root.parentSpanContext).toBeUndefined();
    const auth = named('client authentication');
    expect(auth).toHaveLength(1);
    expect(parentOf(auth[0]!)).toBe(root.spanContext().spanId);
    const grant = named('grant client_credentials');
    expect(grant).toHaveLength(1);
    expect(parentOf(grant[0]!)).toBe(root.spanContext().spanId);
    const signing = named('sign jwt');
    expect(signing).toHaveLength(1);
    expect(descendsFrom(signing[0]!, grant[0]!)).toBe(true);
    expect(signing[0]!.attributes['tessera.kid']).toBe(s.ctx.keys.active.kid);
    // Every span of the request belongs to one trace.
    expect(new Set(spans().map((x) => x.spanContext().traceId))).toEqual(new Set([root.spanContext().traceId]));
    // No secret in any attribute.
    expect(JSON.stringify(spans().map((x) => x.attributes))).not.toContain(SECRET);
  });

  it('password grant: store queries are children of the request, the refresh token is stored under the grant', async () => {
    const r = await s.post('/oauth/token', { grant_type: 'password', username: 'ada', password: PASSWORD, scope: 'read' }, { authorization: basic('svc', SECRET) });
    expect(r.status).toBe(200);
    const root = serverSpan();
    const grant = named('grant password');
    expect(grant).toHaveLength(1);
    const store = spans().filter((x) => x.name.startsWith('store '));
    expect(store.length).toBeGreaterThan(0);
    for (const q of store) expect(descendsFrom(q, root)).toBe(true);
    expect(store.some((q) => q.name.startsWith('store refreshTokens.') && descendsFrom(q, grant[0]!))).toBe(true);
    expect(store[0]!.attributes['db.system.name']).toBe('sqlite');
    expect(JSON.stringify(spans().map((x) => x.attributes))).not.toContain(PASSWORD);
  });

  it('a failed client authentication marks its span failed with the OAuth error code, and the request span keeps the 401', async () => {
    const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', 'wrong') });
    expect(r.status).toBe(401);
    const auth = named('client authentication')[0]!;
    expect(auth.status.code).toBe(2); // ERROR
    expect(auth.attributes['error.type']).toBe('invalid_client');
    expect(serverSpan().attributes['http.response.status_code']).toBe(401);
  });

  it('honours an incoming traceparent: the server span joins the caller\'s trace as its child', async () => {
    const traceId = randomUUID().replace(/-/g, '');
    const parentId = 'b7ad6b7169203331';
    const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET), traceparent: `00-${traceId}-${parentId}-01`, tracestate: 'vendor=x' });
    expect(r.status).toBe(200);
    const root = serverSpan();
    expect(root.spanContext().traceId).toBe(traceId);
    expect(parentOf(root)).toBe(parentId);
    expect(root.parentSpanContext?.isRemote).toBe(true);
    expect(root.spanContext().traceState?.get('vendor')).toBe('x');
  });

  it('a JWKS fetch is a client span under client authentication, and the JWKS host receives our traceparent', async () => {
    const now = nowSeconds();
    const assertion = await sign(key, { iss: 'remote', sub: 'remote', aud: `${s.config.issuer}/oauth/token`, iat: now, exp: now + 60, jti: randomUUID() });
    const before = peer.requests.length;
    const r = await s.post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: assertion });
    expect(r.status).toBe(200);
    const fetches = spans().filter((x) => x.name.startsWith('GET 127.0.0.1:'));
    expect(fetches).toHaveLength(1);
    const f = fetches[0]!;
    expect(f.kind).toBe(2); // SpanKind.CLIENT
    expect(f.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'url.full': `${peer.url}/jwks` });
    expect(descendsFrom(f, named('client authentication')[0]!)).toBe(true);
    const sent = peer.requests.slice(before).find((q) => q.path === '/jwks');
    expect(sent?.headers.traceparent).toBe(`00-${f.spanContext().traceId}-${f.spanContext().spanId}-01`);
  });

  it('background store work (the change-feed poll) starts no traces of its own', async () => {
    await new Promise((r) => setTimeout(r, 600));
    expect(spans()).toEqual([]);
  });
});

describe('tracing off', () => {
  it('creates no spans: no hooks, no wrappers, no traceparent sent upstream', async () => {
    setTracing(false);
    // The SDK stays registered: only the start-up switch is off, and it alone must keep every span from being made.
    const off = await startTestServer({
      doc: {
        clients: [
          { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
          { client_id: 'remote', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${peer.url}/jwks`, grant_types: ['client_credentials'], scope: 'read' },
        ],
      },
    });
    try {
      expect(tracingOn()).toBe(false);
      const r = await off.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET), traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` });
      expect(r.status).toBe(200);
      const now = nowSeconds();
      const assertion = await sign(key, { iss: 'remote', sub: 'remote', aud: `${off.config.issuer}/oauth/token`, iat: now, exp: now + 60, jti: randomUUID() });
      const before = peer.requests.length;
      expect((await off.post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: assertion })).status).toBe(200);
      const sent = peer.requests.slice(before).find((q) => q.path === '/jwks');
      expect(sent).toBeDefined();
      expect(sent?.headers.traceparent).toBeUndefined();
      expect(spans()).toEqual([]);
    } finally {
      await off.stop();
      setTracing(true);
    }
  });
});
