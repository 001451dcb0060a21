import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';

/**
 * Slow clients (issue 18): a request must arrive within its deadlines (config http.headersTimeoutMs for the
 * headers, http.requestTimeoutMs for the whole request), or it gets 408 in the RFC 6749 §5.2 shape and the
 * connection closes. Short deadlines set for the test; the bounds are generous, since the machine is shared.
 */
const HEADERS_MS = 600;
const REQUEST_MS = 1500;
const KEEP_ALIVE_MS = 3000;
/** How late a cut-off may come on a loaded machine (the check itself runs every 120 ms here). */
const SLACK_MS = 4000;
const SECRET = 'deadline-secret-1';
let s: TestServer;
const lines: string[] = [];

beforeAll(async () => {
  s = await startTestServer({
    logStream: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
    env: {
      TESSERA_HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      TESSERA_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
      TESSERA_HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
    },
    doc: { clients: [{ client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' }] },
  });
});
afterAll(async () => s.stop());

interface Outcome {
  /** Milliseconds from the connection's opening to its close by the server. */
  elapsed: number;
  /** Everything the server wrote. */
  raw: string;
}

const HEAD = 'POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n';

/**
 * Opens a connection, lets `behave` write to it (and keep writing, every `everyMs`, while it is open), and
 * resolves when the server closes it, or rejects after `giveUpMs`.
 */
function slowClient(first: string, next: string | undefined, everyMs: number, giveUpMs = REQUEST_MS + SLACK_MS * 2): Promise<Outcome> {
  const url = new URL(s.url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => {
      if (first) socket.write(first);
      if (next !== undefined) timer = setInterval(() => socket.writable && socket.write(next), everyMs);
    });
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ elapsed: Date.now() - started, raw: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

function expect408(o: Outcome, deadline: number): void {
  expect(o.raw.startsWith('HTTP/1.1 408 Request Timeout\r\n'), o.raw).toBe(true);
  expect(o.raw).toContain('\r\nConnection: close\r\n');
  expect(o.raw).toContain('\r\nCache-Control: no-store\r\n');
  expect(JSON.parse(o.raw.split('\r\n\r\n')[1] ?? '')).toEqual({ error: 'invalid_request', error_description: 'The request did not arrive in time' });
  // Not before its deadline, and not long after it.
  expect(o.elapsed).toBeGreaterThanOrEqual(deadline - 50);
  expect(o.elapsed).toBeLessThan(deadline + SLACK_MS);
}

describe('request deadlines', () => {
  it('cut off a slow header, full headers then silence, a body trickled byte by byte and a chunked trickle; others are served meanwhile', async () => {
    const slow = Promise.all([
      // Header lines keep coming, but the headers never end: the header deadline applies.
      slowClient('POST /oauth/token HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n', 100),
      // A connection that sends nothing is held to the header deadline too.
      slowClient('', undefined, 0),
      // Complete headers, then nothing of the announced body.
      slowClient(`${HEAD}Content-Length: 100\r\n\r\n`, undefined, 0),
      // The body, one byte at a time: the socket is never idle, the request deadline still applies.
      slowClient(`${HEAD}Content-Length: 100\r\n\r\n`, 'a', 100),
      // Chunked: one-byte chunks, never the last chunk.
      slowClient(`${HEAD}Transfer-Encoding: chunked\r\n\r\n`, '1\r\na\r\n', 100),
    ]);
    // Meanwhile, other clients are served as usual.
    for (let i = 0; i < 5; i++) {
      const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET) });
      expect(r.status).toBe(200);
      await new Promise((done) => setTimeout(done, 100));
    }
    const [slowHeader, silent, headersThenSilence, trickle, chunked] = await slow;
    expect408(slowHeader!, HEADERS_MS);
    expect408(silent!, HEADERS_MS);
    expect408(headersThenSilence!, REQUEST_MS);
    expect408(trickle!, REQUEST_MS);
    expect408(chunked!, REQUEST_MS);
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    // A request cut off at its deadline is the client's doing, not an outage: nothing at warn or error.
    const loud = lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number }).filter((r) => r.level >= 40);
    expect(loud).toEqual([]);
  });

  it('serve a slow body that completes within the request deadline', async () => {
    const url = new URL(s.url);
    const body = 'grant_type=client_credentials';
    const answer = await new Promise<string>((resolve, reject) => {
      let raw = '';
      const socket = net.connect({ host: url.hostname, port: Number(url.port) }, async () => {
        socket.write(`${HEAD}Authorization: ${basic('svc', SECRET)}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
        // Five pieces over ~400 ms: slower than one packet, well within the 1,500 ms deadline.
        for (let i = 0; i < body.length; i += 6) {
          socket.write(body.slice(i, i + 6));
          await new Promise((done) => setTimeout(done, 80));
        }
      });
      socket.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      socket.on('error', reject);
      socket.on('close', () => resolve(raw));
    });
    expect(answer.startsWith('HTTP/1.1 200 OK\r\n'), answer).toBe(true);
  });

  it('leave an idle keep-alive connection alone past the header deadline, and close it after the keep-alive timeout', async () => {
    const url = new URL(s.url);
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    const received: string[] = [];
    let closedAt = 0;
    const closed = new Promise<void>((resolve) => socket.on('close', () => ((closedAt = Date.now()), resolve())));
    socket.on('data', (c: Buffer) => received.push(c.toString('utf8')));
    socket.on('error', () => {});
    const answered = async (n: number) => {
      const end = Date.now() + SLACK_MS;
      while (received.join('').split('HTTP/1.1 200 OK').length - 1 < n && Date.now() < end) await new Promise((done) => setTimeout(done, 20));
    };
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await answered(1);
    // Idle for twice the header deadline: an idle connection is not a late request.
    await new Promise((done) => setTimeout(done, HEADERS_MS * 2));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await answered(2);
    const idleFrom = Date.now();
    expect(received.join('').split('HTTP/1.1 200 OK').length - 1).toBe(2);
    expect(received.join('')).toContain(`Keep-Alive: timeout=${KEEP_ALIVE_MS / 1000}`);
    await closed;
    expect(closedAt - idleFrom).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 200);
    expect(closedAt - idleFrom).toBeLessThan(KEEP_ALIVE_MS + SLACK_MS);
  });
});
