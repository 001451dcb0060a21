import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { AdminClient } from '../src/index.js';
import { ADMIN_SECRET, DEPLOYER, deployerAdmin, refusal } from './support.js';

/** AdminClient's organizations and installations methods against a real Tessera. */
let server: TestServer;
let admin: AdminClient;

beforeAll(async () => {
  server = await startTestServer({
    doc: {
      clients: [
        DEPLOYER,
        { client_id: 'app', client_secret: ADMIN_SECRET, grant_types: ['org_implicit', 'refresh_token'], scope: 'wallet:read wallet:write' },
      ],
    },
  });
  admin = deployerAdmin(server.url);
});
afterAll(async () => {
  await server?.stop();
});

describe('AdminClient organizations', () => {
  it('creates, reads, lists, patches (If-Match) and deletes an organization and its installations', async () => {
    expect(await admin.organizations.create({ id: 'acme', name: 'Acme' })).toMatchObject({ id: 'acme', status: 'active' });
    const got = await admin.organizations.get('acme');
    expect(got.etag).toMatch(/^"/);
    const patched = await admin.organizations.patch('acme', { name: 'Acme Inc' }, { etag: got.etag! });
    expect(patched.value.name).toBe('Acme Inc');
    expect((await refusal(admin.organizations.patch('acme', { name: 'Lost' }, { etag: got.etag! }))).status).toBe(412);
    expect((await admin.organizations.list().all()).map((o) => o.id)).toEqual(['acme']);

    const inst = await admin.organizations.installations.create('acme', { client_id: 'app', scope: 'wallet:read' });
    expect(inst).toMatchObject({ org_id: 'acme', client_id: 'app', status: 'active' });
    const ig = await admin.organizations.installations.get('acme', 'app');
    const ip = await admin.organizations.installations.patch('acme', 'app', { scope: 'wallet:read wallet:write' }, { etag: ig.etag! });
    expect(ip.value.scope).toBe('wallet:read wallet:write');
    expect((await admin.organizations.installations.list('acme').all()).map((i) => i.client_id)).toEqual(['app']);
    expect((await admin.organizations.installations.revoke('acme', 'app')).status).toBe('revoked');

    // Not while it has an installation, unless cascade.
    const conflict = await refusal(admin.organizations.delete('acme'));
    expect(conflict.status).toBe(409);
    await admin.organizations.installations.delete('acme', 'app', { etag: (await admin.organizations.installations.get('acme', 'app')).etag! });
    expect((await refusal(admin.organizations.installations.get('acme', 'app'))).status).toBe(404);
    await admin.organizations.delete('acme', { etag: (await admin.organizations.get('acme')).etag! });
    expect((await refusal(admin.organizations.get('acme'))).status).toBe(404);
  });

  it('deletes an organization with its installations when asked to cascade', async () => {
    await admin.organizations.create({ id: 'globex', name: 'Globex' });
    await admin.organizations.installations.create('globex', { client_id: 'app', scope: 'wallet:read' });
    expect((await refusal(admin.organizations.delete('globex', { cascade: false }))).status).toBe(409);
    await admin.organizations.delete('globex', { cascade: true });
    expect((await refusal(admin.organizations.get('globex'))).status).toBe(404);
  });
});
