import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { addressKey, installConnectionLimit } from '../../src/http/connection-limit.js';
import { proxyTrust } from '../../src/net/trusted-proxies.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * One source address may hold at most http.maxConnectionsPerAddress connections open (issue 18: 1,000 idle
 * connections from one client held 1,000 descriptors). Over real sockets; a second loopback address
 * (127.0.0.2, Linux routes all of 127/8 to lo) plays another client.
 */
const MAX = 3;

function capture(into: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      into.push(chunk.toString('utf8'));
      done();
    },
  });
}

interface Conn {
  socket: net.Socket;
  /** Resolves with what the server wrote once it closes the connection. */
  closed: Promise<string>;
}

/** A connection from `localAddress`, open (or refused and closed) by the time this resolves. */
async function connect(base: string, localAddress = '127.0.0.1'): Promise<Conn> {
  const url = new URL(base);
  const socket = net.connect({ host: url.hostname, port: Number(url.port), localAddress });
  let raw = '';
  socket.on('data', (c: Buffer) => (raw += c.toString('utf8')));
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(raw)));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()).once('close', () => resolve()));
  return { socket, closed };
}

/** One request on an open connection; resolves with the status line of the answer. */
function ask(c: Conn): Promise<string> {
  return new Promise((resolve) => {
    let raw = '';
    const onData = (b: Buffer) => {
      raw += b.toString('utf8');
      if (raw.includes('\r\n\r\n')) {
        c.socket.off('data', onData);
        resolve(raw.split('\r\n')[0]!);
      }
    };
    c.socket.on('data', onData);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  });
}

/** Whether the server closed the connection within `ms` (a refused one closes at once). */
async function closedWithin(c: Conn, ms: number): Promise<boolean> {
  return Promise.race([c.closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
}

describe('the per-address connection limit', () => {
  const lines: string[] = [];
  let s: TestServer;
  beforeAll(async () => {
    // A long header deadline, so the idle connections the test holds stay open on their own account.
    s = await startTestServer({ env: { TESSERA_HTTP_MAX_CONNECTIONS_PER_ADDRESS: String(MAX), TESSERA_HTTP_HEADERS_TIMEOUT_MS: '20000' }, logStream: capture(lines) });
  });
  afterAll(async () => s.stop());

  it(`refuses connection ${MAX + 1} from one address while its others and other addresses keep working`, async () => {
    const held = await Promise.all(Array.from({ length: MAX }, () => connect(s.url)));
    const extra = await connect(s.url);
    expect(await closedWithin(extra, 3000)).toBe(true);
    expect(await extra.closed).toBe('');
    // The address's own connections keep working, as does another address.
    for (const c of held) expect(await ask(c)).toBe('HTTP/1.1 200 OK');
    const other = await connect(s.url, '127.0.0.2');
    expect(await ask(other)).toBe('HTTP/1.1 200 OK');
    // One warning, not one per refusal.
    const again = await connect(s.url);
    expect(await closedWithin(again, 3000)).toBe(true);
    const warnings = lines.join('').split('\n').filter((l) => l.includes('http.maxConnectionsPerAddress'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, address: '127.0.0.1', max: MAX });

    // A closed connection frees its place.
    held[0]!.socket.destroy();
    await held[0]!.closed;
    let replacement: Conn | undefined;
    for (let i = 0; i < 50 && !replacement; i++) {
      const c = await connect(s.url);
      if (!(await closedWithin(c, 100))) replacement = c;
      else await new Promise((done) => setTimeout(done, 50));
    }
    expect(replacement).toBeDefined();
    expect(await ask(replacement!)).toBe('HTTP/1.1 200 OK');
    for (const c of [...held, other, replacement!]) c.socket.destroy();
  });
});

describe('behind a trusted proxy', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ env: { TESSERA_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '2', TESSERA_HTTP_HEADERS_TIMEOUT_MS: '20000', TESSERA_TRUST_PROXY: '127.0.0.1' } });
  });
  afterAll(async () => s.stop());

  it('the proxy is not limited (it carries everyone), an untrusted address is', async () => {
    const fromProxy = await Promise.all(Array.from({ length: 6 }, () => connect(s.url)));
    for (const c of fromProxy) expect(await ask(c)).toBe('HTTP/1.1 200 OK');
    const direct = await Promise.all([connect(s.url, '127.0.0.2'), connect(s.url, '127.0.0.2')]);
    const third = await connect(s.url, '127.0.0.2');
    expect(await closedWithin(third, 3000)).toBe(true);
    for (const c of direct) expect(await ask(c)).toBe('HTTP/1.1 200 OK');
    for (const c of [...fromProxy, ...direct]) c.socket.destroy();
  });
});

describe('addressKey', () => {
  it('counts IPv4 by address and IPv6 by /64, IPv4-mapped IPv6 as IPv4', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('a limit of 0 installs nothing', () => {
    const server = net.createServer();
    installConnectionLimit(server as never, { max: 0, exempt: proxyTrust([]), logger: pino({ level: 'silent' }) });
    expect(server.listenerCount('connection')).toBe(0);
  });
});
