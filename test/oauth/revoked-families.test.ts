import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevokedFamilies } from '../../src/oauth/revoked-families.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/types.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-revoked-families-'));
let store: Store;
const MAX_TTL = 3600;
const t0 = 1_800_000_000;

async function family(familyId: string, createdAt: number): Promise<void> {
  await store.refreshTokens.createFamily(
    { familyId, clientId: 'app', subject: 'u', userId: null, orgId: null, installationId: null, scope: [], claims: null, createdAt, expiresAt: createdAt + 86_400 * 30 },
    { hash: `h-${familyId}`, scope: [], createdAt, expiresAt: createdAt + 86_400 },
  );
}

beforeAll(async () => {
  store = await openSqliteStore(join(dir, 'tessera.db'));
  await store.clients.create({
    clientId: 'app', name: null, secretHash: null, secretEncrypted: null, tokenEndpointAuthMethod: 'none', grantTypes: ['refresh_token'], scope: [], defaultScope: null,
    audience: null, accessTokenTtl: 0, accessTokenFormat: 'jwt', refreshTokenTtl: null, refreshIdleTtl: null, refreshReuseInterval: 0, introspectAny: false,
    jwks: null, jwksUri: null, rateLimit: null, status: 'active',
  });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('RevokedFamilies', () => {
  it('a starting node loads the families revoked within the longest access-token lifetime (plus the margin), no older', async () => {
    const keep = MAX_TTL + RevokedFamilies.MARGIN_SECONDS;
    await family('recent', t0 - 100);
    await family('edge', t0 - 100);
    await family('old', t0 - 100_000);
    await family('live', t0 - 100);
    await store.refreshTokens.revokeFamily('recent', t0 - 10);
    await store.refreshTokens.revokeFamily('edge', t0 - keep + 1);
    await store.refreshTokens.revokeFamily('old', t0 - keep - 1);
    const set = new RevokedFamilies(store, MAX_TTL);
    await set.load(t0);
    expect([set.has('recent'), set.has('edge'), set.has('old'), set.has('live')]).toEqual([true, true, false, false]);
    // Each entry lasts until its own revocation is `keep` seconds old.
    set.sweep(t0 + 2);
    expect(set.has('edge')).toBe(false);
    expect(set.has('recent')).toBe(true);
    set.sweep(t0 - 10 + keep + 1);
    expect(set.size).toBe(0);
  });

  it('add() is idempotent and never shortens an entry (the feed and the revoking node may both deliver one)', () => {
    const set = new RevokedFamilies(store, MAX_TTL);
    set.add('f', t0);
    set.add('f', t0 - 500);
    expect(set.size).toBe(1);
    set.sweep(t0 + MAX_TTL);
    expect(set.has('f')).toBe(true);
    set.sweep(t0 + MAX_TTL + RevokedFamilies.MARGIN_SECONDS + 1);
    expect(set.has('f')).toBe(false);
  });
});
