import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VersionConflictError } from '../../src/store/errors.js';
import type { Store } from '../../src/store/types.js';
import { newClient } from './store-conformance.js';

const uid = () => `cas-${randomBytes(4).toString('hex')}`;

/** Compare-and-set client writes (ClientStore.update/delete with ifVersion), inside runStoreConformance. */
export function clientVersionCases(store: () => Store): void {
  describe('client versions (compare-and-set)', () => {
    it('a client starts at version 1 and every update increments it', async () => {
      const id = uid();
      expect((await store().clients.create(newClient(id))).version).toBe(1);
      expect((await store().clients.update(id, { name: 'a' }))!.version).toBe(2);
      expect((await store().clients.update(id, { name: 'b' }, { ifVersion: 2 }))!.version).toBe(3);
      expect((await store().clients.get(id))!.version).toBe(3);
    });

    it('a stale version writes nothing and throws VersionConflictError; a missing client is undefined / false', async () => {
      const id = uid();
      await store().clients.create(newClient(id));
      await store().clients.update(id, { name: 'first' });
      await expect(store().clients.update(id, { name: 'stale' }, { ifVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
      await expect(store().clients.delete(id, { ifVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
      expect(await store().clients.get(id)).toMatchObject({ name: 'first', version: 2 });
      expect(await store().clients.update(uid(), { name: 'x' }, { ifVersion: 1 })).toBeUndefined();
      expect(await store().clients.delete(uid(), { ifVersion: 1 })).toBe(false);
      expect(await store().clients.delete(id, { ifVersion: 2 })).toBe(true);
    });

    it('of many concurrent writers holding one version, exactly one wins', async () => {
      const id = uid();
      await store().clients.create(newClient(id));
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => store().clients.update(id, { name: `w${i}` }, { ifVersion: 1 })));
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof VersionConflictError)).toHaveLength(11);
      expect((await store().clients.get(id))!).toMatchObject({ version: 2, name: (won[0] as PromiseFulfilledResult<{ name: string }>).value.name });
    });
  });
}
