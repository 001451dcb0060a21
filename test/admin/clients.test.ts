import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient, deleteClient, getClient, updateClient } from '../../src/admin/clients.js';
import { rotateClientSecret } from '../../src/admin/client-secrets.js';
import { AdminConflictError, AdminNotFoundError, AdminValidationError } from '../../src/admin/problems.js';
import { verifySecret } from '../../src/crypto/password-hash.js';
import { unsealClientSecret } from '../../src/keys/client-secret.js';
import { useTempStore } from '../support/temp-store.js';

const s = useTempStore();
const opts = { masterKey: randomBytes(32), defaults: { accessTokenTtl: 600 } };

describe('createClient', () => {
  it('generates the id and, for a secret method, the secret (returned once, stored as a hash)', async () => {
    const { client, secret } = await createClient(s.store, { scope: 'read' }, opts);
    expect(client.clientId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(client).toMatchObject({ grantTypes: ['client_credentials'], scope: ['read'], accessTokenTtl: 600, secretEncrypted: null });
    expect(await verifySecret(client.secretHash!, secret!)).toBe(true);
    expect((await createClient(s.store, { client_id: 'pub', token_endpoint_auth_method: 'none', grant_types: ['refresh_token'] }, opts)).secret).toBeUndefined();
  });

  it('seals a client_secret_jwt secret under the master key, bound to its client', async () => {
    const { client } = await createClient(s.store, { client_id: 'hmac', token_endpoint_auth_method: 'client_secret_jwt', client_secret: 'the-hmac-secret' }, opts);
    expect(unsealClientSecret(opts.masterKey, 'hmac', client.secretEncrypted!).toString()).toBe('the-hmac-secret');
    expect(() => unsealClientSecret(opts.masterKey, 'other', client.secretEncrypted!)).toThrow();
  });

  it('refuses with every problem at once and stores nothing', async () => {
    const err = await createClient(s.store, { client_id: 'bad', client_secret: 'short', grant_types: ['client_credential'] }, opts).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AdminValidationError);
    expect((err as AdminValidationError).problems.map((p) => p.path)).toEqual(['grant_types', 'client_secret']);
    expect(await s.store.clients.get('bad')).toBeUndefined();
  });

  it('registers the API keys it is given, in the same transaction', async () => {
    const key = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
    await createClient(s.store, { client_id: 'signer', token_endpoint_auth_method: 'request_signature', api_keys: [key] }, opts);
    expect((await s.store.apiKeys.get(key))?.clientId).toBe('signer');
  });
});

describe('updateClient, rotateClientSecret, deleteClient', () => {
  it('update changes what it names and checks the result whole', async () => {
    await createClient(s.store, { client_id: 'app', scope: 'read write', default_scope: 'read' }, opts);
    expect(await updateClient(s.store, 'app', { name: 'App', access_token_ttl: 60 }, opts)).toMatchObject({ name: 'App', accessTokenTtl: 60, defaultScope: ['read'] });
    await expect(updateClient(s.store, 'app', { scope: 'write' }, opts)).rejects.toThrow('default_scope: "read" is not in scope');
    await expect(updateClient(s.store, 'nope', {}, opts)).rejects.toBeInstanceOf(AdminNotFoundError);
  });

  it('rotate-secret replaces the secret (and its sealed copy for client_secret_jwt); a public client has none', async () => {
    const { secret: old } = await createClient(s.store, { client_id: 'app' }, opts);
    const fresh = (await rotateClientSecret(s.store, 'app', opts.masterKey)).secret;
    const hash = (await getClient(s.store, 'app')).secretHash!;
    expect(await verifySecret(hash, fresh)).toBe(true);
    expect(await verifySecret(hash, old!)).toBe(false);
    await createClient(s.store, { client_id: 'hmac', token_endpoint_auth_method: 'client_secret_jwt', client_secret: 'the-hmac-secret' }, opts);
    const hmac = (await rotateClientSecret(s.store, 'hmac', opts.masterKey)).secret;
    expect(unsealClientSecret(opts.masterKey, 'hmac', (await getClient(s.store, 'hmac')).secretEncrypted!).toString()).toBe(hmac);
    await createClient(s.store, { client_id: 'pub', token_endpoint_auth_method: 'none', grant_types: ['refresh_token'] }, opts);
    await expect(rotateClientSecret(s.store, 'pub', opts.masterKey)).rejects.toBeInstanceOf(AdminConflictError);
  });

  it('delete removes the client; an unknown one is not found', async () => {
    await createClient(s.store, { client_id: 'app' }, opts);
    await deleteClient(s.store, 'app');
    await expect(getClient(s.store, 'app')).rejects.toThrow('no client app');
    await expect(deleteClient(s.store, 'app')).rejects.toBeInstanceOf(AdminNotFoundError);
  });
});
