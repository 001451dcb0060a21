import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';

/** Which answers carry the rate-limit headers, as the README states it: token, revocation, introspection only. */
const SECRET = 'scope-test-secret-0123';
const doc = { clients: [{ client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' }] };

describe('rate-limit headers: where the README says they are', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ doc });
  });
  afterAll(async () => s.stop());

  it('the token, revocation and introspection endpoints answer with them', async () => {
    const auth = { authorization: basic('svc', SECRET) };
    const token = await s.post('/oauth/token', { grant_type: 'client_credentials' }, auth);
    expect(token.status).toBe(200);
    for (const r of [token, await s.post('/oauth/revoke', { token: 'x' }, auth), await s.post('/oauth/introspect', { token: String(token.body.access_token) }, auth)]) {
      expect(r.headers.get('x-rate-limit-limit')).toMatch(/^\d+$/);
      expect(r.headers.get('x-rate-limit-remaining')).toMatch(/^\d+$/);
    }
  });

  it('metadata, JWKS and the health checks carry none', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/jwks.json', '/healthz', '/readyz']) {
      const res = await fetch(s.url + path);
      expect([path, res.status]).toEqual([path, 200]);
      expect([path, res.headers.get('x-rate-limit-limit')]).toEqual([path, null]);
    }
  });
});
