import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConflictError, VersionConflictError } from '../../src/store/errors.js';
import type { NewUser, Store } from '../../src/store/types.js';
import { newClient } from './store-conformance.js';

const uid = () => `rv-${randomBytes(4).toString('hex')}`;
const newUser = (id: string): NewUser => ({ id, username: id, passwordHash: null, status: 'active', scope: null, email: null, emailVerified: false });

/** Compare-and-set writes (update/delete with ifVersion) of the records beside clients, inside runStoreConformance. */
export function recordVersionCases(store: () => Store): void {
  describe('user versions (compare-and-set)', () => {
    it('a user starts at version 1 and every update increments it', async () => {
      const id = uid();
      expect((await store().users.create(newUser(id))).version).toBe(1);
      expect((await store().users.update(id, { email: 'a@example.com' }))!.version).toBe(2);
      expect((await store().users.update(id, { email: 'b@example.com' }, { ifVersion: 2 }))!.version).toBe(3);
      expect((await store().users.get(id))!.version).toBe(3);
      expect((await store().users.getByUsername(id))!.version).toBe(3);
    });

    it('a stale version writes nothing and throws VersionConflictError; a missing user is undefined / false', async () => {
      const id = uid();
      await store().users.create(newUser(id));
      await store().users.update(id, { email: 'first@example.com' });
      await expect(store().users.update(id, { email: 'stale@example.com' }, { ifVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
      await expect(store().users.delete(id, { ifVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
      expect(await store().users.get(id)).toMatchObject({ email: 'first@example.com', version: 2 });
      expect(await store().users.update(uid(), { status: 'disabled' }, { ifVersion: 1 })).toBeUndefined();
      expect(await store().users.delete(uid(), { ifVersion: 1 })).toBe(false);
      expect(await store().users.delete(id, { ifVersion: 2 })).toBe(true);
      expect(await store().users.get(id)).toBeUndefined();
    });

    it('of many concurrent writers holding one version, exactly one wins', async () => {
      const id = uid();
      await store().users.create(newUser(id));
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => store().users.update(id, { email: `w${i}@example.com` }, { ifVersion: 1 })));
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof VersionConflictError)).toHaveLength(11);
      expect((await store().users.get(id))!).toMatchObject({ version: 2, email: (won[0] as PromiseFulfilledResult<{ email: string }>).value.email });
    });
  });

  describe('organization versions (compare-and-set)', () => {
    const newOrg = (id: string) => store().organizations.create({ id, name: id, status: 'active' });

    it('an organization starts at version 1 and every update increments it', async () => {
      const id = uid();
      expect((await newOrg(id)).version).toBe(1);
      expect((await store().organizations.update(id, { name: 'a' }))!.version).toBe(2);
      expect((await store().organizations.update(id, { status: 'disabled' }, { ifVersion: 2 }))!.version).toBe(3);
      expect((await store().organizations.get(id))!).toMatchObject({ name: 'a', status: 'disabled', version: 3 });
    });

    it('a stale version writes and deletes nothing (VersionConflictError); a missing one is undefined / missing', async () => {
      const id = uid();
      await newOrg(id);
      await store().organizations.update(id, { name: 'first' });
      await expect(store().organizations.update(id, { name: 'stale' }, { ifVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
      await expect(store().organizations.delete(id, { withInstallations: true, ifVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
      expect(await store().organizations.get(id)).toMatchObject({ name: 'first', version: 2 });
      expect(await store().organizations.update(uid(), { name: 'x' }, { ifVersion: 1 })).toBeUndefined();
      expect(await store().organizations.delete(uid(), { withInstallations: true, ifVersion: 1 })).toBe('missing');
      expect(await store().organizations.delete(id, { withInstallations: false, ifVersion: 2 })).toBe('deleted');
    });

    it('a stale cascading delete leaves the installations in place', async () => {
      const id = uid();
      await newOrg(id);
      const clientId = uid();
      await store().clients.create(newClient(clientId));
      const inst = await store().installations.create({ id: uid(), orgId: id, clientId, scope: ['read'], status: 'active', approvedAt: 0, revokedAt: null });
      await store().organizations.update(id, { name: 'moved on' });
      await expect(store().organizations.delete(id, { withInstallations: true, ifVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
      expect(await store().installations.get(inst.id)).toMatchObject({ status: 'active' });
      expect(await store().organizations.delete(id, { withInstallations: true, ifVersion: 2 })).toBe('deleted');
      expect(await store().installations.get(inst.id)).toBeUndefined();
    });

    it('of many concurrent writers holding one version, exactly one wins', async () => {
      const id = uid();
      await newOrg(id);
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => store().organizations.update(id, { name: `w${i}` }, { ifVersion: 1 })));
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof VersionConflictError)).toHaveLength(11);
      expect((await store().organizations.get(id))!).toMatchObject({ version: 2, name: (won[0] as PromiseFulfilledResult<{ name: string }>).value.name });
    });

    it('concurrent deletes and updates holding one version: exactly one wins', async () => {
      const id = uid();
      await newOrg(id);
      const writes = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store().organizations.delete(id, { withInstallations: true, ifVersion: 1 }) : store().organizations.update(id, { name: `w${i}` }, { ifVersion: 1 })));
      const outcomes = await Promise.allSettled(writes);
      const won = outcomes.filter((o) => o.status === 'fulfilled' && o.value !== undefined && o.value !== 'missing');
      expect(won).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(VersionConflictError);
    });
  });

  describe('identity provider versions (compare-and-set)', () => {
    const idp = (name: string, issuer = 'https://a.example') => ({ name, type: 'oidc' as const, config: { issuer } });

    it('create refuses a taken name; upsert and update increment the version', async () => {
      const name = uid();
      expect((await store().identityProviders.create(idp(name))).version).toBe(1);
      await expect(store().identityProviders.create(idp(name, 'https://b.example'))).rejects.toBeInstanceOf(ConflictError);
      expect((await store().identityProviders.upsert(idp(name, 'https://c.example'))).version).toBe(2);
      expect(await store().identityProviders.update(idp(name, 'https://d.example'), { ifVersion: 2 })).toMatchObject({ version: 3, config: { issuer: 'https://d.example' } });
      expect((await store().identityProviders.update(idp(name, 'https://e.example')))!.version).toBe(4);
      expect((await store().identityProviders.get(name))!).toMatchObject({ version: 4, config: { issuer: 'https://e.example' } });
      expect((await store().identityProviders.upsert(idp(uid()))).version).toBe(1);
    });

    it('a stale version writes nothing and throws VersionConflictError; a missing provider is undefined / false', async () => {
      const name = uid();
      await store().identityProviders.create(idp(name));
      await store().identityProviders.update(idp(name, 'https://first.example'));
      await expect(store().identityProviders.update(idp(name, 'https://stale.example'), { ifVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
      await expect(store().identityProviders.delete(name, { ifVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
      expect(await store().identityProviders.get(name)).toMatchObject({ version: 2, config: { issuer: 'https://first.example' } });
      expect(await store().identityProviders.update(idp(uid()), { ifVersion: 1 })).toBeUndefined();
      expect(await store().identityProviders.update(idp(uid()))).toBeUndefined();
      expect(await store().identityProviders.delete(uid(), { ifVersion: 1 })).toBe(false);
      expect(await store().identityProviders.delete(name, { ifVersion: 2 })).toBe(true);
    });

    it('of many concurrent writers holding one version, exactly one wins; of concurrent creates, one', async () => {
      const name = uid();
      await store().identityProviders.create(idp(name));
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => store().identityProviders.update(idp(name, `https://w${i}.example`), { ifVersion: 1 })));
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof VersionConflictError)).toHaveLength(11);
      const fresh = uid();
      const creates = await Promise.allSettled(Array.from({ length: 8 }, () => store().identityProviders.create(idp(fresh))));
      expect(creates.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(creates.filter((o) => o.status === 'rejected' && o.reason instanceof ConflictError)).toHaveLength(7);
    });
  });

  describe('installation versions (compare-and-set)', () => {
    const newInstallation = async () => {
      const orgId = uid();
      const clientId = uid();
      await store().organizations.create({ id: orgId, name: orgId, status: 'active' });
      await store().clients.create(newClient(clientId));
      return store().installations.create({ id: uid(), orgId, clientId, scope: ['read'], status: 'active', approvedAt: 0, revokedAt: null });
    };

    it('an installation starts at version 1 and every update increments it', async () => {
      const inst = await newInstallation();
      expect(inst.version).toBe(1);
      expect((await store().installations.update(inst.id, { scope: ['read', 'write'] }))!.version).toBe(2);
      expect((await store().installations.update(inst.id, { status: 'revoked', revokedAt: 5 }, { ifVersion: 2 }))!.version).toBe(3);
      expect((await store().installations.find(inst.orgId, inst.clientId))!).toMatchObject({ status: 'revoked', version: 3 });
    });

    it('a stale version writes and deletes nothing (VersionConflictError); a missing one is undefined / false', async () => {
      const inst = await newInstallation();
      await store().installations.update(inst.id, { scope: ['write'] });
      await expect(store().installations.update(inst.id, { status: 'revoked', revokedAt: 5 }, { ifVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
      await expect(store().installations.delete(inst.id, { ifVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
      expect(await store().installations.get(inst.id)).toMatchObject({ status: 'active', scope: ['write'], version: 2 });
      expect(await store().installations.update(uid(), { scope: [] }, { ifVersion: 1 })).toBeUndefined();
      expect(await store().installations.delete(uid(), { ifVersion: 1 })).toBe(false);
      expect(await store().installations.delete(inst.id, { ifVersion: 2 })).toBe(true);
      expect(await store().installations.get(inst.id)).toBeUndefined();
    });

    it('of many concurrent writers holding one version, exactly one wins', async () => {
      const inst = await newInstallation();
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => store().installations.update(inst.id, { scope: [`s${i}`] }, { ifVersion: 1 })));
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof VersionConflictError)).toHaveLength(11);
      expect((await store().installations.get(inst.id))!).toMatchObject({ version: 2, scope: (won[0] as PromiseFulfilledResult<{ scope: string[] }>).value.scope });
    });
  });
}
