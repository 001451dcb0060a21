import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { rawExchange, type RawExchange } from '../support/raw-http.js';
import { installRequestGate } from '../../src/http/request-gate.js';

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400 (http/request-gate.ts). Node's own check answers with an
 * empty body; Tessera's answers in the RFC 6749 §5.2 shape. Over a raw socket, since HTTP clients always send Host.
 */
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s.stop());

const exchange = (bytes: string, base = s.url, more?: (socket: net.Socket) => void): Promise<RawExchange> => rawExchange(base, bytes, more);

describe('an HTTP/1.1 request without Host', () => {
  it.each([
    'GET /healthz HTTP/1.1\r\n\r\n',
    'POST /oauth/token HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials',
    'GET /no/such/path HTTP/1.1\r\nX-Request-Id: trace-7\r\n\r\n',
  ])('gets 400 invalid_request in the §5.2 shape and the connection closes: %j', async (bytes) => {
    const r = await exchange(bytes);
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers.pragma).toBe('no-cache');
    expect(r.headers.connection).toBe('close');
    expect(r.headers['x-request-id']).toMatch(/^(trace-7|[0-9a-f-]{36})$/);
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    expect(JSON.parse(r.body)).toEqual({ error: 'invalid_request', error_description: 'The request has no Host header' });
  });

  it('is refused even after a well-formed request on the same connection', async () => {
    const r = await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n');
    expect(r.status).toBe(200);
    const second = r.raw.slice(r.raw.indexOf('HTTP/1.1', 1));
    expect(second).toMatch(/^HTTP\/1\.1 400 /);
    expect(second).toContain('{"error":"invalid_request","error_description":"The request has no Host header"}');
  });
});

describe('requests with Host, or HTTP/1.0 without it', () => {
  it('are served as before', async () => {
    expect((await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(200);
    // HTTP/1.0 has no Host requirement (RFC 9112 §3.2 applies to HTTP/1.1).
    expect((await exchange('GET /healthz HTTP/1.0\r\n\r\n')).status).toBe(200);
  });
});

describe('a node that is shutting down', () => {
  it('answers requests that still arrive with 503 temporarily_unavailable in the §5.2 shape, Retry-After, and closes', async () => {
    const server = http.createServer((_req, res) => res.end('served'));
    const gate = installRequestGate(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      expect((await exchange('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', base)).body).toBe('served');
      gate.close();
      const r = await exchange('GET / HTTP/1.1\r\nHost: x\r\nX-Request-Id: drain-1\r\n\r\n', base);
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('1');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers.connection).toBe('close');
      expect(r.headers['x-request-id']).toBe('drain-1');
      expect(JSON.parse(r.body)).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('in Tessera: a request pipelined behind one in flight when close() begins gets that 503, the one in flight is served', async () => {
    const t = await startTestServer();
    let closing: Promise<void> | undefined;
    try {
      // The first request's headers arrive (it is in flight, waiting for its body), then the node starts closing;
      // its body and a second request follow on the same connection.
      const r = await exchange('POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n\r\n', t.url, (socket) => {
        setTimeout(() => {
          closing = t.stop();
          setTimeout(() => socket.write('grant_type=client_credentialsGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'), 50);
        }, 50);
      });
      expect(r.status).toBe(401);
      const second = r.raw.slice(r.raw.indexOf('HTTP/1.1', 1));
      expect(second).toMatch(/^HTTP\/1\.1 503 /);
      expect(second).toContain('"error":"temporarily_unavailable"');
      expect(second.toLowerCase()).toContain('retry-after: 1');
    } finally {
      await (closing ?? t.stop());
    }
  });
});
