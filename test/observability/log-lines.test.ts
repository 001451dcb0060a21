import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { captureLog } from '../support/log-lines.js';
import { jwks, makeKey, nowSeconds, sign, startPeer, type Peer, type PeerAnswer, type TestKey } from '../support/peer.js';
import { EVENT_TYPES } from '../../src/observability/events.js';
import { EVENT_LOG_LEVELS } from '../../src/observability/log-sink.js';

/**
 * Issue 21, "Logs people can read": the request log line and its fields, security events at info/warn, an
 * upstream (JWKS host) outage logged once per state change, and no secret in any of the new lines.
 */
const SECRET = 'LOGLINES-client-secret-0123456789';
const TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const log = captureLog();
let s: TestServer;
let peer: Peer;
let key: TestKey;
let jwksAnswer: () => PeerAnswer;

beforeAll(async () => {
  key = await makeKey('l-1', 'ES256');
  jwksAnswer = () => ({ body: jwks(key) });
  peer = await startPeer({ '/jwks': () => jwksAnswer() });
  s = await startTestServer({
    env: { TESSERA_LOG_REQUESTS: 'true' },
    logStream: log.stream,
    doc: {
      clients: [
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'remote', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${peer.url}/jwks`, grant_types: ['client_credentials'], scope: 'read' },
      ],
    },
  });
}, 30_000);

afterAll(async () => {
  await s?.stop();
  await peer?.close();
});

const LEVEL = { debug: 20, info: 30, warn: 40 } as const;

describe('the request log line', () => {
  it('carries request id, method, route, status, client_id, grant_type and duration, and nothing of the credentials', async () => {
    const ok = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET), 'x-request-id': 'req-log-ok' });
    expect(ok.status).toBe(200);
    const bad = await s.post('/oauth/token', { grant_type: 'client_credentials', client_id: 'svc', client_secret: SECRET + 'x' }, { 'x-request-id': 'req-log-bad' });
    expect(bad.status).toBe(401);
    await fetch(`${s.url}/healthz?token=${SECRET}`, { headers: { 'x-request-id': 'req-log-health' } });

    const line = (id: string) => log.withMsg('request').filter((l) => l.reqId === id);
    expect(line('req-log-ok')).toEqual([expect.objectContaining({ level: 30, reqId: 'req-log-ok', method: 'POST', route: '/oauth/token', status: 200, client_id: 'svc', grant_type: 'client_credentials', ms: expect.any(Number) })]);
    // Authentication failed: the client is not known to be svc, the grant type is.
    const refused = line('req-log-bad');
    expect(refused).toEqual([expect.objectContaining({ status: 401, grant_type: 'client_credentials' })]);
    expect(refused[0]!.client_id).toBeUndefined();
    expect(line('req-log-health')).toEqual([expect.objectContaining({ method: 'GET', route: '/healthz', status: 200 })]);
    const text = JSON.stringify(log.lines);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(ok.body.access_token as string);
  });
});

describe('security events in the log', () => {
  it('logs each event type once at its level (warn for attacks and outages, info for changes), with its fields', () => {
    for (const type of EVENT_TYPES) s.ctx.events.emit({ type, clientId: 'svc', subject: 'u-1', address: '192.0.2.7', requestId: `req-${type}`, details: { reason: 'test' } });
    for (const type of EVENT_TYPES) {
      // Only this emit's line: the request test above causes real events (a failed client authentication).
      const lines = log.withMsg(`security event ${type}`).filter((l) => l.reqId === `req-${type}`);
      expect(lines, type).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: LEVEL[EVENT_LOG_LEVELS[type]], event: type, client_id: 'svc', subject: 'u-1', address: '192.0.2.7', reqId: `req-${type}`, details: { reason: 'test' } });
    }
    expect(EVENT_LOG_LEVELS['refresh.reuse_detected']).toBe('warn');
    expect(EVENT_LOG_LEVELS['client.auth_failed']).toBe('warn');
    expect(EVENT_LOG_LEVELS['login.throttled']).toBe('warn');
    expect(EVENT_LOG_LEVELS['token.revoked']).toBe('info');
    expect(EVENT_LOG_LEVELS['admin.change']).toBe('info');
  });

  it('redacts a credential an emitter put in the details by mistake', () => {
    s.ctx.events.emit({ type: 'admin.change', actor: { kind: 'cli', id: 'root' }, details: { password: SECRET, token: SECRET, client_secret: SECRET, resource: 'client' } });
    const line = log.withMsg('security event admin.change').at(-1)!;
    expect(line).toMatchObject({ actor: { kind: 'cli', id: 'root' }, details: { resource: 'client', password: '[redacted]', token: '[redacted]', client_secret: '[redacted]' } });
    expect(JSON.stringify(log.lines)).not.toContain(SECRET);
  });
});

describe('an upstream outage', () => {
  const assertion = () => {
    const now = nowSeconds();
    return sign(key, { iss: 'remote', sub: 'remote', aud: `${s.config.issuer}/oauth/token`, iat: now, exp: now + 60, jti: crypto.randomUUID() });
  };

  it('is logged once when it starts and once when it ends, not per request, and without a stack', async () => {
    jwksAnswer = () => ({ status: 503, body: { error: 'down' } });
    const before = log.lines.length;
    for (let i = 0; i < 5; i++) {
      const r = await s.post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: await assertion() });
      expect(r.status).toBe(503);
    }
    const upstream = `JWK Set ${peer.url}/jwks`;
    const during = log.lines.slice(before);
    expect(during.filter((l) => l.msg === `${upstream} unavailable`)).toEqual([expect.objectContaining({ level: 40, upstream, jwks_uri: `${peer.url}/jwks`, reason: 'HTTP 503' })]);
    expect(during.filter((l) => (l.level as number) >= 40 && l.msg !== `${upstream} unavailable`)).toEqual([]);
    expect(JSON.stringify(during)).not.toMatch(/"stack"/);

    jwksAnswer = () => ({ body: jwks(key) });
    expect((await s.post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: await assertion() })).status).toBe(200);
    expect((await s.post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: await assertion() })).status).toBe(200);
    const back = log.lines.slice(before).filter((l) => l.msg === `${upstream} available again`);
    expect(back).toEqual([expect.objectContaining({ level: 30, upstream, failedCalls: 5, downForMs: expect.any(Number) })]);
  });
});
