import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { AdminClient } from '../src/index.js';
import { DEPLOYER, deployerAdmin, refusal } from './support.js';

/** AdminClient methods the other client tests do not exercise, against a real Tessera. */
const PASSWORD = 'correct horse battery';
let server: TestServer;
let admin: AdminClient;

beforeAll(async () => {
  server = await startTestServer({
    doc: {
      clients: [
        DEPLOYER,
        { client_id: 'web', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read' },
      ],
    },
  });
  admin = deployerAdmin(server.url);
});
afterAll(async () => {
  await server?.stop();
});

/** A password-grant sign-in of `username` through the public client: one refresh-token family. */
async function signIn(username: string): Promise<void> {
  const r = await server.post('/oauth/token', { grant_type: 'password', client_id: 'web', username, password: PASSWORD });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

describe('AdminClient users and families', () => {
  it('gets, patches (If-Match), sets a password, lists and revokes families, deletes a user', async () => {
    const u = await admin.users.create({ username: 'ada', password: PASSWORD });
    const got = await admin.users.get(u.id);
    expect(got.value).toMatchObject({ username: 'ada', has_password: true });
    const patched = await admin.users.patch(u.id, { email: 'ada@example.com' }, { etag: got.etag! });
    expect(patched.value.email).toBe('ada@example.com');
    expect((await refusal(admin.users.patch(u.id, { email: 'x@example.com' }, { etag: got.etag! }))).status).toBe(412);

    await signIn('ada');
    await signIn('ada');
    const families = await admin.users.families(u.id).all();
    expect(families).toHaveLength(2);
    expect(families[0]).toMatchObject({ client_id: 'web', subject: u.id, status: 'active' });
    expect((await admin.clients.families('web').all()).map((f) => f.family_id).sort()).toEqual(families.map((f) => f.family_id).sort());
    await admin.families.revoke(families[0]!.family_id);
    expect((await refusal(admin.families.revoke(families[0]!.family_id))).status).toBe(409);
    expect((await admin.clients.revokeSessions('web')).revoked_refresh_token_families).toBe(1);

    const set = await admin.users.setPassword(u.id);
    expect(typeof set.password).toBe('string');
    // Every node's user cache picks the new password up within a cache sync interval (change feed), not at once.
    const until = Date.now() + 3000;
    let status = 0;
    while (status !== 200 && Date.now() < until) {
      status = (await server.post('/oauth/token', { grant_type: 'password', client_id: 'web', username: 'ada', password: set.password! })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);

    await admin.users.delete(u.id, { etag: (await admin.users.get(u.id)).etag! });
    expect((await refusal(admin.users.get(u.id))).status).toBe(404);
  });
});

describe('AdminClient API keys', () => {
  it('adds, lists and removes a request-signature key', async () => {
    await admin.clients.create({ client_id: 'signer', token_endpoint_auth_method: 'request_signature', grant_types: ['client_credentials'], scope: 'read' });
    const spki = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
    const hex = spki.subarray(spki.length - 32).toString('hex');
    expect(await admin.clients.apiKeys.add('signer', hex)).toEqual({ client_id: 'signer', kind: 'ed25519', public_key: hex });
    expect((await admin.clients.apiKeys.list('signer')).map((k) => k.public_key)).toEqual([hex]);
    await admin.clients.apiKeys.remove('signer', hex);
    expect(await admin.clients.apiKeys.list('signer')).toEqual([]);
    expect((await refusal(admin.clients.apiKeys.add('signer', 'not-hex'))).status).toBe(422);
  });
});

describe('AdminClient identity providers and keys', () => {
  it('creates, lists, reads, patches (If-Match) and deletes an identity provider', async () => {
    const corp = { name: 'corp', type: 'oidc' as const, issuer: 'https://corp.example.com', jwks_uri: 'https://corp.example.com/jwks', audiences: ['tessera'] };
    expect(await admin.identityProviders.create(corp)).toMatchObject(corp);
    expect((await admin.identityProviders.list().all()).map((p) => p.name)).toEqual(['corp']);
    const got = await admin.identityProviders.get('corp');
    const patched = await admin.identityProviders.patch('corp', { audiences: ['a', 'b'] }, { etag: got.etag! });
    expect(patched.value).toMatchObject({ name: 'corp', audiences: ['a', 'b'] });
    expect((await refusal(admin.identityProviders.delete('corp', { etag: got.etag! }))).status).toBe(412);
    await admin.identityProviders.delete('corp', { etag: patched.etag! });
    expect((await refusal(admin.identityProviders.get('corp'))).status).toBe(404);
  });

  it('reads one signing key with its ETag', async () => {
    const [active] = await admin.keys.list();
    const one = await admin.keys.get(active!.kid);
    expect(one.value).toEqual(active);
    expect(one.etag).toMatch(/^"/);
    expect((await refusal(admin.keys.get('nope'))).status).toBe(404);
  });
});
