import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeSigningKey, rotateSigningKey } from '../../src/admin/signing-keys.js';
import { AdminValidationError } from '../../src/admin/problems.js';
import { useTempStore } from '../support/temp-store.js';

const s = useTempStore();
const policy = { masterKey: randomBytes(32), maxAccessTokenTtl: 3600, clockSkew: 60 };

describe('signing keys', () => {
  it('rotation keeps the retired key published until its tokens have expired; only public parts are shown', async () => {
    const first = await rotateSigningKey(s.store, 'EdDSA', policy);
    const before = Math.floor(Date.now() / 1000);
    const second = await rotateSigningKey(s.store, 'ES256', policy);
    const [active, retired] = await s.store.keys.list();
    expect(active!.kid).toBe(second.kid);
    expect(retired).toMatchObject({ kid: first.kid, status: 'retired' });
    expect(retired!.publishUntil).toBeGreaterThanOrEqual(before + 3660);
    expect(retired!.publishUntil).toBeLessThanOrEqual(before + 3662);
    const shown = describeSigningKey(retired!);
    expect(Object.keys(shown)).toEqual(['kid', 'alg', 'status', 'created_at', 'published_until']);
  });

  it('refuses an algorithm it does not sign with', async () => {
    await expect(rotateSigningKey(s.store, 'HS256', policy)).rejects.toThrow(AdminValidationError);
    await expect(rotateSigningKey(s.store, 'HS256', policy)).rejects.toThrow('alg: must be one of ES256, EdDSA, RS256');
  });
});
