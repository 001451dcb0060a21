import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientErrorHandler } from '../../src/http/errors.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { rawExchange, type RawExchange } from '../support/raw-http.js';

/**
 * Requests Node's HTTP parser rejects never reach a route: the answer comes from the clientErrorHandler
 * (http/errors.ts). Over a raw socket, since no HTTP client sends these.
 */
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s.stop());

const exchange = (bytes: string): Promise<RawExchange> => rawExchange(s.url, bytes);

describe('requests the HTTP parser rejects', () => {
  it('answers a malformed request line with 400 invalid_request and closes the connection', async () => {
    const r = await exchange('POST /oauth/token HTTP/9\r\nHost: x\r\n\r\n');
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers.connection).toBe('close');
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    expect(JSON.parse(r.body)).toEqual({ error: 'invalid_request', error_description: 'The request is not valid HTTP/1.1' });
  });

  it('answers a header with a forbidden character with 400', async () => {
    const r = await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error).toBe('invalid_request');
  });

  it('answers headers over the size limit with 431', async () => {
    const r = await exchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(r.status).toBe(431);
    expect(JSON.parse(r.body)).toEqual({ error: 'invalid_request', error_description: 'The request headers are too large' });
  });

  it('keeps serving well-formed requests on other connections', async () => {
    await exchange('garbage\r\n\r\n');
    const res = await fetch(`${s.url}/healthz`);
    expect(res.status).toBe(200);
  });
});

describe('clientErrorHandler', () => {
  it('writes nothing to a connection that was reset, and nothing to a destroyed socket', () => {
    const reset = new PassThrough();
    const written: unknown[] = [];
    reset.on('data', (c) => written.push(c));
    clientErrorHandler(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), reset);
    expect(reset.destroyed).toBe(false);
    const gone = new PassThrough();
    gone.destroy();
    clientErrorHandler(Object.assign(new Error('x'), { code: 'HPE_INVALID_METHOD' }), gone);
    expect(written).toEqual([]);
  });

  it('answers a timed-out request with 408', () => {
    const sock = new PassThrough();
    sock.on('error', () => {});
    const out: Buffer[] = [];
    sock.on('data', (c: Buffer) => out.push(c));
    const origDestroy = sock.destroy.bind(sock);
    let destroyed = false;
    sock.destroy = ((e?: Error) => {
      destroyed = true;
      return origDestroy(e);
    }) as typeof sock.destroy;
    clientErrorHandler(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), sock);
    const text = Buffer.concat(out).toString('utf8');
    expect(text.startsWith('HTTP/1.1 408 Request Timeout\r\n')).toBe(true);
    expect(JSON.parse(text.split('\r\n\r\n')[1] ?? '')).toEqual({ error: 'invalid_request', error_description: 'The request did not arrive in time' });
    expect(destroyed).toBe(true);
  });
});
