import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/server.js';
import { call, expectProblem, startAdminServer, tokenOf } from './helpers.js';
import { register, startRegistrationServer } from '../registration/helpers.js';

/** Failed admin bearer checks are throttled per address with the failure throttles (clientAuthThrottle settings). */
const THROTTLE = { TESSERA_CLIENT_AUTH_THROTTLE_FREE_ATTEMPTS: '2', TESSERA_CLIENT_AUTH_THROTTLE_BASE_DELAY_MS: '60000', TESSERA_CLIENT_AUTH_THROTTLE_MAX_DELAY_MS: '60000' };

describe('the admin API', () => {
  let s: TestServer;
  let token: string;
  beforeAll(async () => {
    s = await startAdminServer(THROTTLE);
    token = await tokenOf(s, 'admin');
  });
  afterAll(async () => s.stop());

  it('answers 401 for the free failures, then a 429 problem with Retry-After, for every token from that address', async () => {
    // Valid tokens and requests without a token are not failures.
    for (let i = 0; i < 4; i++) expect((await call(s.url, 'GET', '/admin/v1/clients', { token })).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await call(s.url, 'GET', '/admin/v1/clients')).status).toBe(401);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(s.url, 'GET', '/admin/v1/clients', { token: `forged-${i}` })).status);
    expect(statuses).toEqual([401, 401, 401]);
    const refused = await call(s.url, 'GET', '/admin/v1/clients', { token: 'forged-again' });
    expectProblem(refused, 429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(refused.body.detail).toMatch(/^Too many failed bearer token attempts; retry in \d+ s$/);
    // The address is held back, whatever token it presents next (a valid one included) until the delay ends.
    expectProblem(await call(s.url, 'GET', '/admin/v1/clients', { token }), 429);
  });
});

describe('the registration endpoint', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startRegistrationServer({ TESSERA_REGISTRATION_ENABLED: 'true', ...THROTTLE });
  });
  afterAll(async () => s.stop());

  it('counts forged initial access tokens the same way (429 in the RFC 6749 shape)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await register(s, `forged-${i}`, {})).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const r = await register(s, 'forged', {});
    expect(r.status).toBe(429);
    expect(r.body.error).toBe('too_many_requests');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
