import { describe, expect, it } from 'vitest';
import { revokeUserSessions } from '../../src/admin/sessions.js';
import { createUser } from '../../src/admin/users.js';
import { useTempStore } from '../support/temp-store.js';

const s = useTempStore();

describe('revokeUserSessions', () => {
  it("revokes every live refresh-token family of the user, and no one else's", async () => {
    await createUser(s.store, { id: 'u-1', username: 'ada', password: 'long enough' });
    await createUser(s.store, { id: 'u-2', username: 'bob', password: 'long enough' });
    await s.store.clients.create({ clientId: 'app', name: null, secretHash: null, secretEncrypted: null, tokenEndpointAuthMethod: 'none', grantTypes: ['password'], scope: [], defaultScope: null, audience: null, accessTokenTtl: 60, accessTokenFormat: 'jwt', refreshTokenTtl: null, refreshIdleTtl: null, refreshReuseInterval: 0, introspectAny: false, jwks: null, jwksUri: null, rateLimit: null, status: 'active' });
    for (const [id, user] of [['f-1', 'u-1'], ['f-2', 'u-1'], ['f-3', 'u-2']] as const) {
      await s.store.refreshTokens.createFamily({ familyId: id, clientId: 'app', subject: user, userId: user, orgId: null, installationId: null, scope: [], claims: null, createdAt: 1, expiresAt: 4_000_000_000 }, { hash: `h-${id}`, scope: [], createdAt: 1, expiresAt: 4_000_000_000 });
    }
    expect(await revokeUserSessions(s.store, 'u-1')).toBe(2);
    expect(await revokeUserSessions(s.store, 'u-1')).toBe(0);
    expect((await s.store.refreshTokens.find('h-f-3'))!.family.status).toBe('active');
  });
});
