import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/** RFC 9110 §15.5.6: a known endpoint asked with another method answers 405 with Allow, whatever the method. */
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.stop());

/** node:http, not fetch: fetch refuses TRACE and would not send WebDAV methods as they are. */
function send(method: string, path: string): Promise<{ status: number; allow: string | undefined; cacheControl: string | undefined; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${s.url}${path}`, { method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({
        status: res.statusCode!,
        allow: res.headers.allow,
        cacheControl: res.headers['cache-control'],
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('405 Method Not Allowed', () => {
  it.each([
    ['TRACE', '/oauth/token', 'POST'],
    ['PROPFIND', '/oauth/token', 'POST'],
    ['MKCOL', '/oauth/introspect', 'POST'],
    ['TRACE', '/oauth/revoke', 'POST'],
    ['POST', '/.well-known/oauth-authorization-server', 'GET, HEAD'],
    ['POST', '/.well-known/jwks.json', 'GET, HEAD'],
    ['PROPFIND', '/.well-known/jwks.json', 'GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['PUT', '/readyz', 'GET, HEAD'],
  ])('%s %s -> 405 with Allow: %s in the §5.2 shape', async (method, path, allow) => {
    const r = await send(method, path);
    expect(r.status).toBe(405);
    expect(r.allow).toBe(allow);
    expect(r.cacheControl).toBe('no-store');
    expect(r.body.error).toBe('method_not_allowed');
  });

  it('a query string does not hide the endpoint, and an unknown path stays 404 for any method', async () => {
    expect((await send('PROPFIND', '/oauth/token?x=1')).status).toBe(405);
    for (const method of ['GET', 'POST', 'PROPFIND', 'TRACE']) {
      const r = await send(method, '/oauth/nope');
      expect(r.status, method).toBe(404);
      expect(r.body.error).toBe('not_found');
    }
  });

  it('the allowed methods still answer', async () => {
    expect((await send('GET', '/.well-known/jwks.json')).status).toBe(200);
    expect((await send('HEAD', '/healthz')).status).toBe(200);
  });
});
