import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { AdminClient, TokenClient } from '../src/index.js';
import { DEPLOYER, countingFetch, deployerAdmin, refusal } from './support.js';

let server: TestServer;
let admin: AdminClient;
const tokenFetch = countingFetch();

beforeAll(async () => {
  server = await startTestServer({ doc: { clients: [DEPLOYER] } });
  admin = deployerAdmin(server.url, tokenFetch.fetch);
});
afterAll(async () => {
  await server?.stop();
});

describe('AdminClient against a real Tessera', () => {
  it('creates, reads (with ETag), patches with If-Match (a stale tag is a 412) and deletes a client', async () => {
    const created = await admin.clients.create({ client_id: 'x', grant_types: ['client_credentials'], scope: 'read' });
    expect(created).toMatchObject({ client_id: 'x', scope: 'read', status: 'active', has_secret: true });
    expect(created.client_secret!.length).toBeGreaterThanOrEqual(32);
    // The new client gets a token at once.
    const t = await new TokenClient({ issuer: server.url, clientId: 'x', clientSecret: created.client_secret! }).clientCredentials();
    expect(t.scope).toBe('read');

    const got = await admin.clients.get('x');
    expect(got.value).not.toHaveProperty('client_secret');
    expect(got.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const patched = await admin.clients.patch('x', { name: 'Ex', status: 'disabled' }, { etag: got.etag! });
    expect(patched.value).toMatchObject({ name: 'Ex', status: 'disabled' });
    expect(patched.etag).not.toBe(got.etag);

    const stale = await refusal(admin.clients.patch('x', { name: 'Lost' }, { etag: got.etag! }));
    expect(stale.status).toBe(412);
    expect(stale.title).toBe('Precondition Failed');
    expect((await admin.clients.get('x')).value.name).toBe('Ex');
    expect((await refusal(admin.clients.delete('x', { etag: got.etag! }))).status).toBe(412);

    await admin.clients.delete('x', { etag: patched.etag! });
    const gone = await refusal(admin.clients.get('x'));
    expect(gone.status).toBe(404);
    // One token for all of it: the TokenClient caches it.
    expect(tokenFetch.count('/oauth/token')).toBe(1);
  });

  it('rotates a client secret, shown once', async () => {
    await admin.clients.create({ client_id: 'rot', grant_types: ['client_credentials'], scope: 'read' });
    const r = await admin.clients.rotateSecret('rot');
    expect(r.client_id).toBe('rot');
    expect((await new TokenClient({ issuer: server.url, clientId: 'rot', clientSecret: r.client_secret }).clientCredentials()).scope).toBe('read');
  });

  it('rotates with an overlap (keepOldFor), lists both secrets, and removes the kept one', async () => {
    await admin.clients.create({ client_id: 'rot-keep', grant_types: ['client_credentials'], scope: 'read' });
    const r = await admin.clients.rotateSecret('rot-keep', { keepOldFor: '24h' });
    expect(r.kept_secret_id).toMatch(/^[0-9a-f]{8}$/);
    const got = await admin.clients.get('rot-keep');
    expect(got.value.secrets?.map((s) => s.secret_id)).toEqual([r.secret_id, r.kept_secret_id]);
    await expect(admin.clients.rotateSecret('rot-keep', { keepOldFor: 60 })).rejects.toMatchObject({ status: 409 });
    await admin.clients.removeSecret('rot-keep', r.kept_secret_id!);
    expect((await admin.clients.get('rot-keep')).value.secrets).toHaveLength(1);
  });

  it('walks every page of a list with for await', async () => {
    for (let i = 0; i < 5; i++) await admin.clients.create({ client_id: `page-${i}`, grant_types: ['client_credentials'], scope: 'read' });
    const seen: string[] = [];
    for await (const c of admin.clients.list({ limit: 2 })) seen.push(c.client_id);
    expect(seen.filter((id) => id.startsWith('page-'))).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    expect(new Set(seen).size).toBe(seen.length);
    let pages = 0;
    for await (const page of admin.clients.list({ limit: 2 }).pages()) {
      pages++;
      expect(page.items.length).toBeLessThanOrEqual(2);
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    // search: on the server, across pages.
    expect((await admin.clients.list({ search: 'PAGE-', limit: 2 }).all()).map((c) => c.client_id)).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
  });

  it('surfaces a 422 with the field errors of the problem', async () => {
    const err = await refusal(admin.clients.create({ client_id: 'bad', grant_types: ['client_credential'], scope: 'read' }));
    expect(err.status).toBe(422);
    expect(err.type).toBe('about:blank');
    expect(err.errors.length).toBeGreaterThanOrEqual(1);
    expect(err.errors[0]!.path).toBe('grant_types');
    expect(err.errors[0]!.message).toContain('client_credential');
  });

  it('creates a user (generated password shown once) and signs them out everywhere', async () => {
    const u = await admin.users.create({ username: 'ann', email: 'ann@example.com' });
    expect(u).toMatchObject({ username: 'ann', status: 'active', has_password: true });
    expect(typeof u.password).toBe('string');
    const found = await admin.users.list({ email: 'ANN@example.com' }).all();
    expect(found.map((x) => x.id)).toEqual([u.id]);
    const r = await admin.users.revokeSessions(u.id);
    expect(r).toEqual({ id: u.id, revoked_refresh_token_families: 0 });
    expect((await refusal(admin.users.create({ username: 'ANN' }))).status).toBe(409);
  });

  it('rotates the signing key', async () => {
    const before = await admin.keys.list();
    const active = before.find((k) => k.status === 'active')!;
    const rotated = await admin.keys.rotate({ alg: 'EdDSA' });
    expect(rotated).toMatchObject({ alg: 'EdDSA', status: 'active' });
    expect(rotated.kid).not.toBe(active.kid);
    const after = await admin.keys.list();
    expect(after[0]!.kid).toBe(rotated.kid);
    expect(after.find((k) => k.kid === active.kid)!.status).toBe('retired');
    expect((await admin.keys.get(rotated.kid)).etag).toBeTruthy();
  });
});
