import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { basic, startTestServer, type TestServer } from '../support/server.js';

const SECRET = 'sdkcompat-server-secret';
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({
    doc: { clients: [{ client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read write admin', default_scope: 'read' }] },
  });
});
afterAll(async () => s.stop());

describe('client_credentials over HTTP', () => {
  it('issues an RFC 9068 JWT that verifies against the JWKS', async () => {
    const r = await s.post('/oauth/token', { grant_type: 'client_credentials', scope: 'read write' }, { authorization: basic('svc', SECRET) });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('pragma')).toBe('no-cache');
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read write' });
    const jwks = (await (await fetch(s.url + '/.well-known/jwks.json')).json()) as { keys: [] };
    const { payload, protectedHeader } = await jwtVerify(r.body.access_token as string, createLocalJWKSet(jwks), { issuer: s.config.issuer, typ: 'at+jwt' });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({ sub: 'svc', client_id: 'svc', scope: 'read write' });
    expect(typeof payload.jti).toBe('string');
  });

  it('grants the default scope when none is asked for', async () => {
    const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET) });
    expect(r.body.scope).toBe('read');
  });

  it('rejects a wrong secret with 401 and a Basic challenge', async () => {
    const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', 'wrong-secret') });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="tessera"/);
  });
});
