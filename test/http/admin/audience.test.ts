import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.js';
import { applyImportDocument } from '../../../src/admin/import-apply.js';
import { ADMIN_CLIENTS, call, expectProblem, SECRET, tokenOf } from './helpers.js';

/** RFC 9068 §4: the admin API accepts only tokens whose audience is this server (docs/admin-api.md). */
const elsewhere = { client_id: 'admin-elsewhere', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:admin', audience: ['https://api.example'] };

describe('the admin token\'s audience', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ doc: { clients: ADMIN_CLIENTS } });
    // The issuer is known once the server listens: the client naming it is added then.
    await applyImportDocument(s.ctx.store, { clients: [...ADMIN_CLIENTS, elsewhere, { ...elsewhere, client_id: 'admin-both', audience: ['https://api.example', s.config.issuer] }] }, { masterKey: s.masterKey.key, defaults: { accessTokenTtl: s.config.accessTokenTtl } });
  });
  afterAll(async () => s.stop());

  it('accepts a token for this server (the default audience: the issuer)', async () => {
    expect((await call(s.url, 'GET', '/admin/v1/clients', { token: await tokenOf(s, 'admin') })).status).toBe(200);
  });

  it('refuses a token meant for another resource: 401 invalid_token, even with the admin scope', async () => {
    const r = await call(s.url, 'GET', '/admin/v1/clients', { token: await tokenOf(s, 'admin-elsewhere') });
    expectProblem(r, 401);
    expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(r.body.detail).toContain('another audience');
  });

  it('accepts a token whose audiences include this server', async () => {
    expect((await call(s.url, 'GET', '/admin/v1/clients', { token: await tokenOf(s, 'admin-both') })).status).toBe(200);
  });
});

describe('with accessTokenAudience configured', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ doc: { clients: ADMIN_CLIENTS }, env: { TESSERA_ACCESS_TOKEN_AUDIENCE: 'https://tessera.example' } });
  });
  afterAll(async () => s.stop());

  it('accepts the server\'s default audience', async () => {
    expect((await call(s.url, 'GET', '/admin/v1/clients', { token: await tokenOf(s, 'admin-opaque') })).status).toBe(200);
    expect((await call(s.url, 'GET', '/admin/v1/clients', { token: await tokenOf(s, 'admin') })).status).toBe(200);
  });
});
