import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { newClient } from './store-conformance.js';

const uid = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

/** Deleting organisations and installations (OrganizationStore.delete, InstallationStore.delete), inside runStoreConformance. */
export function organizationDeletionCases(store: () => Store): void {
  async function installed(): Promise<{ orgId: string; clientId: string; id: string; familyHash: string }> {
    const orgId = uid('org');
    const clientId = uid('c');
    await store().organizations.create({ id: orgId, name: 'Org', status: 'active' });
    await store().clients.create(newClient(clientId));
    const id = uid('inst');
    await store().installations.create({ id, orgId, clientId, scope: ['read'], status: 'active', approvedAt: now(), revokedAt: null });
    const familyHash = randomBytes(32).toString('hex');
    const t = now();
    await store().refreshTokens.createFamily({ familyId: uid('fam'), clientId, subject: orgId, userId: null, orgId, installationId: id, scope: ['read'], claims: null, createdAt: t, expiresAt: t + 3600 }, { hash: familyHash, scope: ['read'], createdAt: t, expiresAt: t + 600 });
    return { orgId, clientId, id, familyHash };
  }

  describe('deleting organizations and installations', () => {
    it('an installation: deleted with its families revoked, published, false the second time', async () => {
      const { orgId, clientId, id, familyHash } = await installed();
      const before = await store().changes.latest();
      expect(await store().installations.delete(id)).toBe(true);
      expect(await store().installations.get(id)).toBeUndefined();
      expect(await store().installations.find(orgId, clientId)).toBeUndefined();
      expect((await store().refreshTokens.find(familyHash))!.family.status).toBe('revoked');
      const topics = (await store().changes.since(before)).map((c) => `${c.topic}:${c.key}`);
      expect(topics).toContain(`installation:${id}`);
      expect(topics.some((t) => t.startsWith('family:'))).toBe(true);
      expect(await store().installations.delete(id)).toBe(false);
      // The client and the organisation stay.
      expect(await store().clients.get(clientId)).toBeDefined();
      expect(await store().organizations.get(orgId)).toBeDefined();
    });

    it('an organization without installations: deleted and published; missing the second time', async () => {
      const orgId = uid('org');
      await store().organizations.create({ id: orgId, name: 'Org', status: 'active' });
      const before = await store().changes.latest();
      expect(await store().organizations.delete(orgId, { withInstallations: false })).toBe('deleted');
      expect(await store().organizations.get(orgId)).toBeUndefined();
      expect((await store().changes.since(before)).map((c) => `${c.topic}:${c.key}`)).toContain(`org:${orgId}`);
      expect(await store().organizations.delete(orgId, { withInstallations: true })).toBe('missing');
    });

    it('an organization with installations: refused (nothing deleted) unless withInstallations, which takes them and revokes their families', async () => {
      const { orgId, id, familyHash } = await installed();
      expect(await store().organizations.delete(orgId, { withInstallations: false })).toBe('has_installations');
      expect(await store().organizations.get(orgId)).toBeDefined();
      expect(await store().installations.get(id)).toBeDefined();
      expect((await store().refreshTokens.find(familyHash))!.family.status).toBe('active');
      const before = await store().changes.latest();
      expect(await store().organizations.delete(orgId, { withInstallations: true })).toBe('deleted');
      expect(await store().organizations.get(orgId)).toBeUndefined();
      expect(await store().installations.get(id)).toBeUndefined();
      expect((await store().refreshTokens.find(familyHash))!.family.status).toBe('revoked');
      const topics = (await store().changes.since(before)).map((c) => `${c.topic}:${c.key}`);
      expect(topics).toEqual(expect.arrayContaining([`org:${orgId}`, `installation:${id}`]));
    });

    it('concurrent deletions of one organization: exactly one deletes', async () => {
      const { orgId } = await installed();
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => store().organizations.delete(orgId, { withInstallations: true })));
      expect(outcomes.filter((o) => o === 'deleted')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'missing')).toHaveLength(7);
    });
  });
}
