import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * X-Forwarded-For is believed only from the configured proxies (issue 18: `trustProxy=true` believed every
 * client's own header, so per-address limits and login throttles vanished). The client's address is the first
 * untrusted hop from the right. What the server takes for the address is observed through what it limits:
 * the per-address request limit and the failed-login throttle. Requests go out from 127.0.0.1 (the "proxy")
 * or 127.0.0.2 (a client connecting directly).
 */
const LIMIT = 3;
const PASSWORD = 'trusted-proxies-pw-1';
const DOC = {
  clients: [{ client_id: 'web', token_endpoint_auth_method: 'none', grant_types: ['password'], scope: 'read' }],
  users: [{ username: 'ada', password: PASSWORD }],
};
const ENV = { TESSERA_RATE_LIMIT_IP_POINTS: String(LIMIT), TESSERA_RATE_LIMIT_IP_DURATION: '600' };
/** One failure per (user, address) goes free, then a 20 s delay: a throttled attempt is a 429 for the whole test. */
const THROTTLE = { TESSERA_LOGIN_THROTTLE_FREE_ATTEMPTS: '1', TESSERA_LOGIN_THROTTLE_BASE_DELAY_MS: '20000' };

let seq = 0;
/** An address no other request of this file uses. */
const fresh = () => `198.51.100.${++seq}`;

/** POSTs to /oauth/introspect (rate-limited per address, needs no client) or a password login; returns the status. */
function send(base: string, path: string, body: string, headers: Record<string, string>, localAddress = '127.0.0.1'): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: Number(url.port), path, method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const introspect = (base: string, xff: string | undefined, localAddress?: string) =>
  send(base, '/oauth/introspect', 'token=x', xff === undefined ? {} : { 'x-forwarded-for': xff }, localAddress);
const login = (base: string, xff: string, password = 'wrong') =>
  send(base, '/oauth/token', new URLSearchParams({ grant_type: 'password', client_id: 'web', username: 'ada', password }).toString(), { 'x-forwarded-for': xff });

describe('without trusted proxies (the default)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ env: ENV, doc: DOC });
  });
  afterAll(async () => s.stop());

  it('a client cannot escape the per-address limit by writing X-Forwarded-For itself', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= LIMIT; i++) statuses.push(await introspect(s.url, fresh(), '127.0.0.2'));
    expect(statuses.slice(0, LIMIT).every((st) => st === 401)).toBe(true);
    expect(statuses[LIMIT]).toBe(429);
  });
});

describe('with 127.0.0.1 and 10.0.0.0/8 trusted', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ env: { ...ENV, TESSERA_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' }, doc: DOC });
  });
  afterAll(async () => s.stop());

  it('the request limit counts the first untrusted hop from the right; spoofed entries left of it change nothing', async () => {
    const client = fresh();
    const statuses: number[] = [];
    // The client writes a new fake address each time; the proxy appends the real one.
    for (let i = 0; i <= LIMIT; i++) statuses.push(await introspect(s.url, `${fresh()}, ${client}`));
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(statuses[LIMIT]).toBe(429);
    // A second trusted proxy (10.x) in the chain is skipped: the client is still the one counted.
    expect(await introspect(s.url, `${fresh()}, ${client}, 10.1.2.3`)).toBe(429);
    // Another client behind the same proxy has its own allowance.
    expect(await introspect(s.url, fresh())).toBe(401);
  });

  it('a peer that is not a trusted proxy is counted by its own address, whatever X-Forwarded-For it sends', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= LIMIT; i++) statuses.push(await introspect(s.url, fresh(), '127.0.0.2'));
    expect(statuses[LIMIT]).toBe(429);
  });

});

describe('the login throttle, with 127.0.0.1 trusted', () => {
  let s: TestServer;
  beforeAll(async () => {
    // The default request limits, so that a 429 here is the throttle's.
    s = await startTestServer({ env: { ...THROTTLE, TESSERA_TRUST_PROXY: '127.0.0.1' }, doc: DOC });
  });
  afterAll(async () => s.stop());

  it('sees the forwarded client address', async () => {
    const attacker = fresh();
    // Failures from one client address, each with a different spoofed entry, count together.
    expect(await login(s.url, `${fresh()}, ${attacker}`)).toBe(400);
    expect(await login(s.url, `${fresh()}, ${attacker}`)).toBe(400);
    expect(await login(s.url, `${fresh()}, ${attacker}`)).toBe(429);
    expect(await login(s.url, `${fresh()}, ${attacker}`, PASSWORD)).toBe(429);
    // The user logs in from their own address behind the same proxy.
    expect(await login(s.url, fresh(), PASSWORD)).toBe(200);
  });
});
