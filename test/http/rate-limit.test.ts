import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';

const SECRET = 'confidential-secret-123';
let s: TestServer;

const limited = (id: string) => ({ client_id: id, client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', rate_limit: { points: 3, duration: 60 } });

beforeAll(async () => {
  s = await startTestServer({ doc: { clients: [limited('limited-token'), limited('limited-introspect'), limited('limited-revoke')] } });
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
    for (let i = 0; i < 3; i++) {
      const r = await s.post(path, form, { authorization: basic(client, SECRET) });
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
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(over.headers.get('x-rate-limit-remaining')).toBe('0');
    const reset = Number(over.headers.get('x-rate-limit-reset'));
    expect(reset).toBeGreaterThanOrEqual(before);
    expect(reset).toBeLessThanOrEqual(before + 61);
    expect(over.headers.get('ratelimit')).toMatch(/^"default";r=0;t=\d+$/);
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
