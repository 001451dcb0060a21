import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { identityProviderProblems, linkSubject, linksOf, removeIdentityProvider, saveIdentityProvider, storedProvider } from '../../src/admin/identity-providers.js';
import { createUser } from '../../src/admin/users.js';
import { AdminConflictError, AdminNotFoundError, AdminValidationError } from '../../src/admin/problems.js';
import { secretAad } from '../../src/federation/provider-config.js';
import { unseal } from '../../src/keys/seal.js';
import { useTempStore } from '../support/temp-store.js';

const s = useTempStore();
const masterKey = randomBytes(32);
const facebook = { name: 'facebook', type: 'introspection', format: 'facebook', endpoint: 'https://graph.facebook.com/debug_token', app_id: '123', app_token: '123|app-secret' };

describe('identity providers', () => {
  it('storing a provider seals its secrets: an explicit call, no import has to be loaded for it', async () => {
    expect(storedProvider(facebook, masterKey).config).not.toHaveProperty('app_token');
    const saved = await saveIdentityProvider(s.store, facebook, masterKey);
    expect(JSON.stringify(saved.config)).not.toContain('app-secret');
    expect(unseal(masterKey, saved.config.app_token_sealed as string, secretAad('facebook', 'app_token')).toString()).toBe('123|app-secret');
  });

  it('refuses an invalid provider with paths from $, and stores nothing', async () => {
    await expect(saveIdentityProvider(s.store, { ...facebook, endpoint: 'http://graph.facebook.com/debug_token' }, masterKey)).rejects.toThrow(/^\$\.endpoint: must be an https URL/);
    expect(await s.store.identityProviders.list()).toEqual([]);
    expect(identityProviderProblems('x', '$.identity_providers[0]')).toEqual([{ path: '$.identity_providers[0]', message: 'Expected object' }]);
    expect(identityProviderProblems({ name: 'p' }, '$.identity_providers[0]')).toEqual([{ path: '$.identity_providers[0].type', message: 'must be one of oidc, introspection, jwt_bearer' }]);
  });

  it('links a subject to one user; removing a provider keeps the links', async () => {
    await saveIdentityProvider(s.store, facebook, masterKey);
    await createUser(s.store, { id: 'u-1', username: 'ada', password: 'long enough' });
    expect((await linkSubject(s.store, 'facebook', 'fb-1', 'ADA')).user.id).toBe('u-1');
    await expect(linkSubject(s.store, 'facebook', 'fb-1', 'ada')).rejects.toThrow('facebook/fb-1 is already linked to ada');
    await expect(linkSubject(s.store, 'facebook', 'fb-1', 'ada')).rejects.toBeInstanceOf(AdminConflictError);
    await expect(linkSubject(s.store, 'nope', 'fb-2', 'ada')).rejects.toThrow('no identity provider nope');
    await expect(linkSubject(s.store, 'facebook', 'fb-2', 'nobody')).rejects.toBeInstanceOf(AdminNotFoundError);
    await removeIdentityProvider(s.store, 'facebook');
    expect(await linksOf(s.store, 'ada')).toEqual([expect.objectContaining({ provider: 'facebook', subject: 'fb-1' })]);
    await expect(removeIdentityProvider(s.store, 'facebook')).rejects.toBeInstanceOf(AdminNotFoundError);
    await expect(saveIdentityProvider(s.store, {}, masterKey)).rejects.toBeInstanceOf(AdminValidationError);
  });
});
