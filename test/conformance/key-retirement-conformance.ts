import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.js';

const kid = () => `kid-${randomBytes(4).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);
const key = (k: string) => ({ kid: k, alg: 'ES256' as const, publicJwk: { kty: 'EC', kid: k }, privateKeyEncrypted: `v1.sealed.${k}`, status: 'active' as const, retiredAt: null, publishUntil: null });

/** KeyStore.retire (retiring a key without rotating), inside runStoreConformance. */
export function keyRetirementCases(store: () => Store): void {
  describe('retiring a signing key without rotating', () => {
    it('retires one of several active keys (published until the given time, announced); refuses the last, a retired one, an unknown one', async () => {
      const a = kid();
      const b = kid();
      await store().keys.insert(key(a));
      await store().keys.insert(key(b));
      const until = now() + 3600;
      const before = await store().changes.latest();
      expect(await store().keys.retire(a, until)).toBe('retired');
      expect((await store().keys.list()).find((k) => k.kid === a)).toMatchObject({ status: 'retired', publishUntil: until });
      expect((await store().changes.since(before)).map((c) => `${c.topic}:${c.key}`)).toContain(`key:${a}`);
      expect(await store().keys.retire(a, until)).toBe('already_retired');
      expect(await store().keys.retire(kid(), until)).toBe('missing');
      // Retire every other active key, then b is the last one.
      for (const k of (await store().keys.list()).filter((x) => x.status === 'active' && x.kid !== b)) expect(await store().keys.retire(k.kid, until)).toBe('retired');
      expect(await store().keys.retire(b, until)).toBe('only_active');
      expect((await store().keys.list()).filter((k) => k.status === 'active').map((k) => k.kid)).toEqual([b]);
    });

    it('two keys retired at once never leave no active key', async () => {
      const c = kid();
      await store().keys.insert(key(c));
      const active = (await store().keys.list()).filter((k) => k.status === 'active').map((k) => k.kid);
      expect(active.length).toBeGreaterThanOrEqual(2);
      const outcomes = await Promise.all(active.map((k) => store().keys.retire(k, now() + 60)));
      expect(outcomes.filter((o) => o === 'retired')).toHaveLength(active.length - 1);
      expect(outcomes.filter((o) => o === 'only_active')).toHaveLength(1);
      expect((await store().keys.list()).filter((k) => k.status === 'active')).toHaveLength(1);
    });

    it('with ifStatus, a compare-and-set on the status read: a changed key is left alone (changed), and of two at once exactly one wins', async () => {
      const a = kid();
      const b = kid();
      await store().keys.insert(key(a));
      await store().keys.insert(key(b));
      const until = now() + 60;
      // Read as pending, but it is active now: nothing changes.
      expect(await store().keys.retire(a, until, 'pending')).toBe('changed');
      expect((await store().keys.list()).find((k) => k.kid === a)?.status).toBe('active');
      // The precondition is checked before the other outcomes (RFC 9110 §13.2.2): missing stays missing.
      expect(await store().keys.retire(kid(), until, 'active')).toBe('missing');
      const outcomes = await Promise.all([1, 2, 3].map(() => store().keys.retire(a, until, 'active')));
      expect(outcomes.sort()).toEqual(['changed', 'changed', 'retired']);
      expect((await store().keys.list()).find((k) => k.kid === a)).toMatchObject({ status: 'retired', publishUntil: until });
      // A retired key read as active (a stale read) is a changed one, not an already retired one.
      expect(await store().keys.retire(a, until, 'active')).toBe('changed');
      expect(await store().keys.retire(a, until)).toBe('already_retired');
    });
  });
}
