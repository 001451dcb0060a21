import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { postFrom } from '../support/from-address.js';

/**
 * A public client is identified by its client_id alone, so its per-client budget is counted per (client, source
 * address): one address that spends it does not get every other user of the app refused (issue 18 item 5).
 * Confidential clients keep one budget. 127.0.0.x are distinct loopback addresses on Linux.
 */
const SECRET = 'confidential-secret-123';
const LIMIT = { points: 3, duration: 60 };
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'app', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read', rate_limit: LIMIT },
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', rate_limit: LIMIT },
      ],
    },
  });
});
afterAll(async () => s.stop());

// A refresh with an unknown token: charged to the client's budget after `none` authentication, then invalid_grant.
const refresh = (from: string) => postFrom(from, s.url, '/oauth/token', { grant_type: 'refresh_token', client_id: 'app', refresh_token: 'A'.repeat(43) });
const revoke = (from: string) => postFrom(from, s.url, '/oauth/revoke', { client_id: 'app', token: 'A'.repeat(43) });

describe('the per-client rate limit of a public client', () => {
  it('is counted per source address: one address spending it does not get another address a 429', async () => {
    const first: number[] = [];
    for (let i = 0; i < 4; i++) first.push((await refresh('127.0.0.1')).status);
    expect(first).toEqual([400, 400, 400, 429]);

    const other = await refresh('127.0.0.2');
    expect(other.status).toBe(400);
    expect(other.body.error).toBe('invalid_grant');
    expect(other.headers['x-rate-limit-limit']).toBe('3');
    expect(other.headers['x-rate-limit-remaining']).toBe('2');
  });

  it('is one budget per address across the endpoints: revocation from the spent address is refused, from another served', async () => {
    expect((await revoke('127.0.0.1')).status).toBe(429);
    const r = await revoke('127.0.0.3');
    expect(r.status).toBe(200);
    expect(r.headers['x-rate-limit-remaining']).toBe('2');
  });
});

describe('the per-client rate limit of a confidential client', () => {
  it('stays one budget for the client, whatever the address', async () => {
    const token = (from: string) => postFrom(from, s.url, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET) });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await token('127.0.0.1')).status);
    statuses.push((await token('127.0.0.2')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
