import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { RefreshTokenService } from '../../src/oauth/refresh-tokens.js';
import { RevokedFamilies } from '../../src/oauth/revoked-families.js';
import { OAuthError } from '../../src/oauth/errors.js';
import { hashToken } from '../../src/crypto/token-hash.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Client, Store } from '../../src/store/types.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-refresh-'));
let store: Store;
let clock = 1_800_000_000;
let service: RefreshTokenService;
let revoked: RevokedFamilies;

function client(overrides: Partial<Client> = {}): Client {
  return {
    clientId: 'app', name: null, secretHash: null, secretEncrypted: null, secretExpiresAt: null, secretLastUsedAt: null, previousSecretHash: null, previousSecretEncrypted: null, previousSecretExpiresAt: null, previousSecretLastUsedAt: null, tokenEndpointAuthMethod: 'none', grantTypes: ['password', 'refresh_token'],
    scope: ['read', 'write'], defaultScope: null, audience: null, accessTokenTtl: 3600, accessTokenFormat: 'opaque', refreshTokenTtl: null,
    refreshIdleTtl: null, refreshReuseInterval: 0, introspectAny: false, jwks: null, jwksUri: null, rateLimit: null, status: 'active', createdAt: 0, updatedAt: 0, version: 1,
    ...overrides,
  };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof OAuthError) return err.code;
    throw err;
  }
}

beforeAll(async () => {
  store = await openSqliteStore(join(dir, 'tessera.db'));
  const config = loadConfig({ dataDir: dir }, {});
  revoked = new RevokedFamilies(store, config.maxAccessTokenTtl);
  service = new RefreshTokenService(config, store, () => clock, revoked);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('RefreshTokenService', () => {
  it('gives an installation-bound family (org tokens) the absolute lifetime as idle timeout unless the client sets one', async () => {
    const c = client({ grantTypes: ['org_implicit', 'refresh_token'] });
    const expiresIn = async (token: string) => (await store.refreshTokens.find(hashToken(token)))!.token.expiresAt - clock;
    const user = await service.start({ client: c, subject: 'u1', userId: 'u1', scope: ['read'] });
    expect(await expiresIn(user)).toBe(14 * 86400);
    const org = await service.start({ client: c, subject: 'org-1', orgId: 'org-1', installationId: 'inst-1', scope: ['read'] });
    expect(await expiresIn(org)).toBe(30 * 86400);
    expect(await expiresIn((await service.rotate(org, c, undefined)).token)).toBe(30 * 86400);
    const own = client({ grantTypes: ['org_implicit', 'refresh_token'], refreshIdleTtl: 3600 });
    expect(await expiresIn(await service.start({ client: own, subject: 'org-1', orgId: 'org-1', installationId: 'inst-1', scope: ['read'] }))).toBe(3600);
  });

  it('keeps the full scope on the new refresh token when the access token is narrowed (RFC 6749 §6)', async () => {
    const c = client();
    const rt = await service.start({ client: c, subject: 'u1', userId: 'u1', scope: ['read', 'write'] });
    const narrowed = await service.rotate(rt, c, ['read']);
    expect(narrowed.scope).toEqual(['read']);
    expect((await store.refreshTokens.find(hashToken(narrowed.token)))!.token.scope).toEqual(['read', 'write']);
    expect((await service.rotate(narrowed.token, c, undefined)).scope).toEqual(['read', 'write']);
  });

  it('drops scope a per-family cap no longer allows, on both tokens, and lets the cap refuse', async () => {
    const c = client();
    const rt = await service.start({ client: c, subject: 'u1', userId: 'u1', scope: ['read', 'write'] });
    const capped = await service.rotate(rt, c, undefined, async () => ({ cap: ['read'], user: null }));
    expect(capped.scope).toEqual(['read']);
    expect((await store.refreshTokens.find(hashToken(capped.token)))!.token.scope).toEqual(['read']);
    expect(await code(service.rotate(capped.token, c, ['write']))).toBe('invalid_scope');
    expect(await code(service.rotate(capped.token, c, undefined, async () => { throw OAuthError.invalidGrant('gone'); }))).toBe('invalid_grant');
    // A refused rotation leaves the token usable.
    expect(await code(service.rotate(capped.token, c, undefined))).toBe('ok');
  });

  it('measures the reuse interval from the first rotation: retries cannot stretch it', async () => {
    const c = client({ refreshReuseInterval: 30 });
    const rt = await service.start({ client: c, subject: 'u1', scope: ['read'] });
    await service.rotate(rt, c, undefined);
    clock += 20;
    const retry = await service.rotate(rt, c, undefined);
    clock += 15; // 35 s after the first rotation, 15 s after the retry
    expect(await code(service.rotate(rt, c, undefined))).toBe('invalid_grant');
    // ... and that was reuse: the family is gone.
    expect(await code(service.rotate(retry.token, c, undefined))).toBe('invalid_grant');
  });

  it('deletes the opaque access tokens of a family on reuse and on revocation, and marks the family revoked here at once', async () => {
    const c = client();
    for (const end of ['reuse', 'revoke'] as const) {
      const familyId = `fam-${end}`;
      expect(revoked.has(familyId)).toBe(false);
      const rt = await service.start({ familyId, client: c, subject: 'u1', scope: ['read'] });
      await store.accessTokens.insertOpaque({ hash: `h-${end}`, jti: `j-${end}`, clientId: 'app', subject: 'u1', userId: null, orgId: null, familyId, scope: ['read'], audience: ['x'], claims: null, issuedAt: clock, expiresAt: clock + 3600 });
      if (end === 'reuse') {
        await service.rotate(rt, c, undefined);
        expect(await code(service.rotate(rt, c, undefined))).toBe('invalid_grant');
      } else {
        await service.revokeFamily(familyId);
      }
      expect(await store.accessTokens.findOpaque(`h-${end}`)).toBeUndefined();
      expect(revoked.has(familyId)).toBe(true);
    }
  });

  it("treats another client's token like an unknown one", async () => {
    const rt = await service.start({ client: client(), subject: 'u1', scope: ['read'] });
    expect(await code(service.rotate(rt, client({ clientId: 'other' }), undefined))).toBe('invalid_grant');
    expect(await code(service.rotate(rt, client(), undefined))).toBe('ok');
  });
});
