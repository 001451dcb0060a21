import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeKeySchedule, describeSigningKey, rotateSigningKey } from '../../src/admin/signing-keys.js';
import type { SigningKey } from '../../src/store/types.js';
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
    expect(Object.keys(shown)).toEqual(['kid', 'alg', 'status', 'created_at', 'activates_at', 'retired_at', 'published_until']);
  });

  it('refuses an algorithm it does not sign with', async () => {
    await expect(rotateSigningKey(s.store, 'HS256', policy)).rejects.toThrow(AdminValidationError);
    await expect(rotateSigningKey(s.store, 'HS256', policy)).rejects.toThrow('alg: must be one of ES256, EdDSA, RS256');
  });

  it('a manual rotation supersedes a scheduled next key: it is retired with the active one', async () => {
    const first = await rotateSigningKey(s.store, 'ES256', policy);
    const t = Math.floor(Date.now() / 1000);
    const next = await s.store.keys.insertNextIfDue({ kid: 'scheduled-next', alg: 'ES256', publicJwk: { kid: 'scheduled-next' }, privateKeyEncrypted: 'v1.x' }, { now: t, activatesAt: t + 60, dueBefore: t });
    expect(next?.status).toBe('pending');
    const manual = await rotateSigningKey(s.store, 'ES256', policy);
    const byKid = new Map((await s.store.keys.list()).map((k) => [k.kid, k]));
    expect(byKid.get(manual.kid)!.status).toBe('active');
    expect(byKid.get(first.kid)!.status).toBe('retired');
    expect(byKid.get('scheduled-next')!.status).toBe('retired');
  });
});

describe('the key schedule view', () => {
  const key = (kid: string, over: Partial<SigningKey>): SigningKey => ({ kid, alg: 'ES256', status: 'active', publicJwk: {}, privateKeyEncrypted: 'x', createdAt: 1000, retiredAt: null, publishUntil: null, activatesAt: null, ...over });
  const at = (s: number) => new Date(s * 1000).toISOString();

  it('current, pending next with its activation, retired keys with the end of their publication', () => {
    const keys = [key('cur', { createdAt: 1000 }), key('nxt', { status: 'pending', createdAt: 1900, activatesAt: 2000 }), key('old', { status: 'retired', createdAt: 10, retiredAt: 1000, publishUntil: 1600 })];
    const view = describeKeySchedule(keys, { rotateEvery: 1000, prePublish: 100 }, 1950);
    expect(view.rotation).toEqual({ enabled: true, rotate_every: '1000s', pre_publish: '100s' });
    expect(view.current).toMatchObject({ kid: 'cur', activates_at: at(1000) });
    expect(view.next).toMatchObject({ kid: 'nxt', status: 'pending', published: true, activates_at: at(2000) });
    expect(view.retired).toEqual([expect.objectContaining({ kid: 'old', published_until: at(1600), retired_at: at(1000) })]);
    // Past its activation, the pending key is the current one (every node signs with it), nothing is next yet.
    const later = describeKeySchedule(keys, { rotateEvery: 1000, prePublish: 100 }, 2000);
    expect(later.current).toMatchObject({ kid: 'nxt' });
    expect(later.next).toEqual({ published: false, publish_at: at(2900), activates_at: at(3000) });
  });

  it('no next key without rotation; an overdue schedule is shown as due now', () => {
    const keys = [key('cur', { createdAt: 1000 })];
    expect(describeKeySchedule(keys, { rotateEvery: null, prePublish: 3600 }, 5000)).toMatchObject({ rotation: { enabled: false, pre_publish: '1h' }, next: null, retired: [] });
    expect(describeKeySchedule(keys, { rotateEvery: 1000, prePublish: 100 }, 5000).next).toEqual({ published: false, publish_at: at(5000), activates_at: at(5100) });
  });
});
