import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Failures of Fastify's router itself (frameworkErrors in http/app.ts) are answered outside any route, so neither
 * the error handler nor the onSend hook runs: they must still come out in the RFC 6749 §5.2 shape with the
 * headers of every other answer.
 */
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ env: { TESSERA_PROFILES: 'smscx=/smscx' } });
});
afterAll(async () => s.stop());

describe('a path that cannot be percent-decoded (FST_ERR_BAD_URL)', () => {
  it.each([
    ['POST', '/oauth/token%zz'],
    ['GET', '/%zz'],
    ['POST', '/oauth/introspect%E0%A4%A'],
    ['POST', '/smscx/oauth/token%zz'],
  ])('%s %s: 400 invalid_request, no-store, X-Request-Id, X-Response-Time', async (method, path) => {
    const res = await fetch(s.url + path, { method, ...(method === 'POST' ? { body: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}) });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-response-time')).toMatch(/^\d+\.\d\d$/);
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'The request URL is malformed' });
  });

  it('echoes a well-formed X-Request-Id like every other answer', async () => {
    const res = await fetch(`${s.url}/%zz`, { headers: { 'x-request-id': 'trace-123' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-request-id')).toBe('trace-123');
  });
});
