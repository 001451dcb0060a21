import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';

const SECRET = 'confidential-secret-123';
let s: TestServer;

const limited = (id: string) => ({ client_id: id, client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', rate_limit: { points: 3, duration: 60 } });

beforeAll(async () => {
  s = await startTestServer({
    doc: { clients: [limited('limited-token'), limited('limited-introspect'), limited('limited-revoke'), { ...limited('short-window'), rate_limit: { points: 1, duration: 3 } }] },
  });
});
afterAll(async () => s.stop());

const ENDPOINTS: Array<[string, string, Record<string, string>]> = [
  ['/oauth/token', 'limited-token', { grant_type: 'client_credentials' }],
  ['/oauth/introspect', 'limited-introspect', { token: 'A'.repeat(43) }],
  ['/oauth/revoke', 'limited-revoke', { token: 'A'.repeat(43) }],
];

describe.each(ENDPOINTS)('rate limits on %s (a client limited to 3 per 60 s)', (path, client, form) => {
  it('counts down in the SMSCX and IETF headers, then answers 429 with Retry-After and a JSON error', async () => {
    const before = Math.floor(Date.now() / 1000);
    const remaining: string[] = [];
    // The window opens when the first request is charged, after its client authentication (a KDF on this first
    // request, which a loaded machine can stretch past a second): bound the reset by when that answer arrived.
    let firstAnswered = 0;
    for (let i = 0; i < 3; i++) {
      const r = await s.post(path, form, { authorization: basic(client, SECRET) });
      if (i === 0) firstAnswered = Date.now();
      expect(r.status).toBe(200);
      expect(r.headers.get('x-rate-limit-limit')).toBe('3');
      expect(r.headers.get('ratelimit-policy')).toBe('"default";q=3;w=60');
      // SMSCX: X-Rate-Limit-Reset on a refusal only.
      expect(r.headers.get('x-rate-limit-reset')).toBeNull();
      remaining.push(r.headers.get('x-rate-limit-remaining')!);
      expect(r.headers.get('ratelimit')).toBe(`"default";r=${remaining[i]};t=${r.headers.get('ratelimit')!.split('t=')[1]}`);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const over = await s.post(path, form, { authorization: basic(client, SECRET) });
    expect(over.status).toBe(429);
    expect(over.body.error).toBe('too_many_requests');
    expect(typeof over.body.error_description).toBe('string');
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    // Whole seconds from this second to the reset time, which is the window's end rounded up: up to 61.
    expect(retryAfter).toBeLessThanOrEqual(61);
    expect(over.headers.get('x-rate-limit-remaining')).toBe('0');
    const reset = Number(over.headers.get('x-rate-limit-reset'));
    expect(reset).toBeGreaterThanOrEqual(before);
    expect(reset).toBeLessThanOrEqual(Math.ceil(firstAnswered / 1000) + 60);
    expect(over.headers.get('ratelimit')).toMatch(/^"default";r=0;t=\d+$/);
  });
});

describe('the advertised reset time (a client limited to 1 per 3 s)', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const request = () => s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('short-window', SECRET) });

  it('is one Unix time for every 429 of a window, consistent with Retry-After and t=, and a request then is accepted', async () => {
    expect((await request()).status).toBe(200);
    const opened = Date.now();
    const resets = new Set<number>();
    // Refusals for half the window, well inside it: the old header (now + the rounded-up rest) changed value
    // whenever a second boundary passed the window end's fraction of a second.
    while (Date.now() - opened < 1500) {
      const sent = Date.now();
      const r = await request();
      const received = Date.now();
      expect(r.status).toBe(429);
      const reset = Number(r.headers.get('x-rate-limit-reset'));
      resets.add(reset);
      const retryAfter = Number(r.headers.get('retry-after'));
      // Retry-After counts whole seconds from the second of the answer to the reset time.
      expect(reset - retryAfter).toBeGreaterThanOrEqual(Math.floor(sent / 1000));
      expect(reset - retryAfter).toBeLessThanOrEqual(Math.floor(received / 1000));
      expect(r.headers.get('ratelimit')).toBe(`"default";r=0;t=${retryAfter}`);
      await sleep(5);
    }
    expect([...resets]).toHaveLength(1);
    const [reset] = [...resets] as [number];
    // At or after the window's real end (it opened at most at `opened`).
    expect(reset * 1000).toBeGreaterThanOrEqual(opened - 1000);
    expect(reset * 1000).toBeLessThanOrEqual(opened + 3000 + 1000);
    await sleep(reset * 1000 - Date.now());
    const then = await request();
    expect(then.status).toBe(200);
    expect(then.headers.get('x-rate-limit-remaining')).toBe('0');
  });
});

describe('rate limits per source IP', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { TESSERA_RATE_LIMIT_IP_POINTS: '2', TESSERA_RATE_LIMIT_IP_DURATION: '60' } });
  });
  afterAll(async () => t.stop());

  it('refuses the third request from one address before any client authentication', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.post('/oauth/introspect', { token: 'x' })).status);
    expect(statuses).toEqual([401, 401, 429]);
  });
});
