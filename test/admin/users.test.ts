import { describe, expect, it } from 'vitest';
import { createUser, deleteUser, disableUser, enableUser, findUser, setUserPassword } from '../../src/admin/users.js';
import { AdminNotFoundError, AdminValidationError } from '../../src/admin/problems.js';
import { hashSecret, verifySecret } from '../../src/crypto/password-hash.js';
import { useTempStore } from '../support/temp-store.js';
import type { Store } from '../../src/store/types.js';

const s = useTempStore();

async function family(store: Store, userId: string, id: string): Promise<void> {
  await store.clients.create({ clientId: 'app', name: null, secretHash: null, secretEncrypted: null, tokenEndpointAuthMethod: 'none', grantTypes: ['password'], scope: [], defaultScope: null, audience: null, accessTokenTtl: 60, accessTokenFormat: 'jwt', refreshTokenTtl: null, refreshIdleTtl: null, refreshReuseInterval: 0, introspectAny: false, jwks: null, jwksUri: null, rateLimit: null, status: 'active' }).catch(() => undefined);
  await store.refreshTokens.createFamily(
    { familyId: id, clientId: 'app', subject: userId, userId, orgId: null, installationId: null, scope: [], claims: null, createdAt: 1, expiresAt: 4_000_000_000 },
    { hash: `h-${id}`, scope: [], createdAt: 1, expiresAt: 4_000_000_000 },
  );
}

describe('users', () => {
  it('create: a given password is hashed; none given -> one generated and returned once; a hash is stored as given', async () => {
    const { user, password } = await createUser(s.store, { id: 'u-1', username: 'Ada', password: 'long enough', scope: 'read' });
    expect(password).toBeUndefined();
    expect(user).toMatchObject({ id: 'u-1', username: 'Ada', scope: ['read'], status: 'active' });
    expect(await verifySecret(user.passwordHash!, 'long enough')).toBe(true);
    const generated = await createUser(s.store, { username: 'gen' });
    expect(await verifySecret(generated.user.passwordHash!, generated.password!)).toBe(true);
    const hash = await hashSecret('elsewhere');
    expect((await createUser(s.store, { username: 'legacy', password_hash: hash })).user.passwordHash).toBe(hash);
  });

  it('create refuses what the import refuses, and stores nothing', async () => {
    const err = await createUser(s.store, { username: ' ada', password: 'short' }).then(() => undefined, (e: unknown) => e);
    expect((err as AdminValidationError).problems.map((p) => p.path)).toEqual(['username', 'password']);
    expect(await s.store.users.list()).toEqual([]);
  });

  it('find by id or username (case-insensitive); disable, set-password and their sessions', async () => {
    await createUser(s.store, { id: 'u-1', username: 'Ada', password: 'long enough' });
    expect((await findUser(s.store, 'ADA')).id).toBe('u-1');
    await expect(findUser(s.store, 'nobody')).rejects.toBeInstanceOf(AdminNotFoundError);
    await family(s.store, 'u-1', 'f-1');
    expect(await disableUser(s.store, 'ada')).toMatchObject({ user: { status: 'disabled' }, revoked: 1 });
    expect((await enableUser(s.store, 'u-1')).status).toBe('active');
    await family(s.store, 'u-1', 'f-2');
    expect((await setUserPassword(s.store, 'ada', { password: 'a new password', keepSessions: true })).revoked).toBe(0);
    const r = await setUserPassword(s.store, 'ada', {});
    expect(r.revoked).toBe(1);
    expect(await verifySecret((await findUser(s.store, 'u-1')).passwordHash!, r.password!)).toBe(true);
    await expect(setUserPassword(s.store, 'ada', { password: 'short' })).rejects.toThrow('password: must be at least 8 characters');
    expect((await deleteUser(s.store, 'ada')).id).toBe('u-1');
    await expect(deleteUser(s.store, 'ada')).rejects.toBeInstanceOf(AdminNotFoundError);
  });
});
