import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/store/errors.js';
import type { Store } from '../../src/store/types.js';
import { newClient } from './store-conformance.js';

const uid = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
const hash = () => randomBytes(32).toString('hex');

/** RFC 7591/7592 registration records (store.clientRegistrations), run inside runStoreConformance. */
export function clientRegistrationCases(store: () => Store): void {
  describe('client registrations', () => {
    it('create then get returns the record; a client without one has none', async () => {
      const id = uid('reg');
      await store().clients.create(newClient(id));
      expect(await store().clientRegistrations.get(id)).toBeUndefined();
      const h = hash();
      const created = await store().clientRegistrations.create({ clientId: id, tokenHash: h, registeredBy: 'initial' });
      expect(created).toMatchObject({ clientId: id, tokenHash: h, registeredBy: 'initial' });
      const got = await store().clientRegistrations.get(id);
      expect(got).toEqual(created);
      expect(typeof got!.createdAt).toBe('number');
    });

    it('a second registration of one client is a ConflictError', async () => {
      const id = uid('reg');
      await store().clients.create(newClient(id));
      await store().clientRegistrations.create({ clientId: id, tokenHash: hash(), registeredBy: 'a' });
      await expect(store().clientRegistrations.create({ clientId: id, tokenHash: hash(), registeredBy: 'b' })).rejects.toBeInstanceOf(ConflictError);
    });

    it('a registration of a client that does not exist is refused (foreign key)', async () => {
      await expect(store().clientRegistrations.create({ clientId: uid('ghost'), tokenHash: hash(), registeredBy: 'a' })).rejects.toThrow();
    });

    it('setTokenHash replaces the hash, and is false without a registration', async () => {
      const id = uid('reg');
      await store().clients.create(newClient(id));
      await store().clientRegistrations.create({ clientId: id, tokenHash: hash(), registeredBy: 'a' });
      const h = hash();
      expect(await store().clientRegistrations.setTokenHash(id, h)).toBe(true);
      expect((await store().clientRegistrations.get(id))!.tokenHash).toBe(h);
      expect(await store().clientRegistrations.setTokenHash(uid('none'), h)).toBe(false);
    });

    it('deleting the client deletes its registration', async () => {
      const id = uid('reg');
      await store().clients.create(newClient(id));
      await store().clientRegistrations.create({ clientId: id, tokenHash: hash(), registeredBy: 'a' });
      expect(await store().clients.delete(id)).toBe(true);
      expect(await store().clientRegistrations.get(id)).toBeUndefined();
      // The id may be registered again once the client is created again.
      await store().clients.create(newClient(id));
      await store().clientRegistrations.create({ clientId: id, tokenHash: hash(), registeredBy: 'b' });
    });

    it('client and registration created in one transaction roll back together', async () => {
      const id = uid('reg');
      await expect(
        store().transaction(async (tx) => {
          await tx.clients.create(newClient(id));
          await tx.clientRegistrations.create({ clientId: id, tokenHash: hash(), registeredBy: 'a' });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store().clients.get(id)).toBeUndefined();
      expect(await store().clientRegistrations.get(id)).toBeUndefined();
    });
  });
}
