import type { RefreshFamily, Store } from '../store/types.js';
import { AdminConflictError, AdminNotFoundError } from './problems.js';
import { recordAdminChange, recordAdminEvent, type AdminAudit } from './audit.js';

/**
 * Signing someone out: every refresh-token family of the user is revoked, so no refresh token of theirs works
 * again (access tokens already issued live out their short lifetime). Disabling a user and a new password end
 * their sessions this way. Deleting a user or a client, and revoking an installation, revoke the families in the
 * store's own transaction with the change (store/sql/users.ts, clients.ts, organizations.ts).
 */
export async function revokeUserSessions(store: Store, userId: string, now = nowSeconds(), audit?: AdminAudit): Promise<number> {
  const revoked = await store.refreshTokens.revokeByUser(userId, now);
  recordAdminChange(audit, { resource: 'session', action: 'revoke_user_sessions', id: userId, subject: userId, extra: { revoked_families: revoked } });
  return revoked;
}

/**
 * Ends every session of a client: each active refresh-token family of it is revoked (one transaction, a change per
 * family), so none of its refresh tokens works again; the client itself stays active. Returns how many.
 */
export async function revokeClientSessions(store: Store, clientId: string, now = nowSeconds(), audit?: AdminAudit): Promise<number> {
  if (!(await store.clients.get(clientId))) throw new AdminNotFoundError(`no client ${clientId}`);
  const revoked = await store.refreshTokens.revokeByClient(clientId, now);
  recordAdminChange(audit, { resource: 'session', action: 'revoke_client_sessions', id: clientId, clientId, extra: { revoked_families: revoked } });
  return revoked;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Revokes one refresh-token family (one sign-in session): its refresh tokens stop working on every node. */
export async function revokeFamily(store: Store, familyId: string, now = nowSeconds(), audit?: AdminAudit): Promise<RefreshFamily> {
  const family = await store.refreshTokens.getFamily(familyId);
  if (!family) throw new AdminNotFoundError(`no refresh-token family ${familyId}`);
  // The store revokes only an active family; false = already revoked (perhaps a moment ago by someone else).
  if (!(await store.refreshTokens.revokeFamily(familyId, now))) throw new AdminConflictError(`refresh-token family ${familyId} is already revoked`);
  recordAdminChange(audit, { resource: 'family', action: 'revoke', id: familyId, clientId: family.clientId, subject: family.subject });
  recordAdminEvent(audit, { type: 'family.revoked', clientId: family.clientId, subject: family.subject, details: { family_id: familyId, reason: 'admin' } });
  return { ...family, status: 'revoked', revokedAt: now };
}
