import { randomUUID } from 'node:crypto';
import type { Store } from '../../src/store/types.js';
import { clientSettings, type ClientInput } from '../../src/admin/client-fields.js';

/**
 * Writes records straight to the store, past the admin rules (src/admin), for tests of what the token endpoint
 * does with a record those rules refuse, as a database written before them (or by hand) may hold one: a public
 * client allowed client_credentials or org_implicit must still get unauthorized_client.
 */
export async function insertUncheckedClient(store: Store, c: Partial<ClientInput> & { client_id: string }): Promise<void> {
  await store.clients.create({ clientId: c.client_id, ...clientSettings(c, { accessTokenTtl: 3600 }), secretHash: null, secretEncrypted: null });
}

export async function insertUncheckedInstallation(store: Store, orgId: string, clientId: string, scope: string[]): Promise<void> {
  await store.installations.create({ id: randomUUID(), orgId, clientId, scope, status: 'active', approvedAt: Math.floor(Date.now() / 1000), revokedAt: null });
}
