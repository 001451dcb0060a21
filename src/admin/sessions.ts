import type { RefreshFamily, Store } from '../store/types.js';
import { AdminConflictError, AdminNotFoundError } from './problems.js';

/**
 * Signing someone out: every refresh-token family of the user is revoked, so no refresh token of theirs works
 * again (access tokens already issued live out their short lifetime). Disabling a user and a new password end
 * their sessions this way. Deleting a user or a client, and revoking an installation, revoke the families in the
 * store's own transaction with the change (store/sql/users.ts, clients.ts, organizations.ts).
 */
export function revokeUserSessions(store: Store, userId: string, now = nowSeconds()): Promise<number> {
  return store.refreshTokens.revokeByUser(userId, now);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Revokes one refresh-token family (one sign-in session): its refresh tokens stop working on every node. */
export async function revokeFamily(store: Store, familyId: string, now = nowSeconds()): Promise<RefreshFamily> {
  const family = await store.refreshTokens.getFamily(familyId);
  if (!family) throw new AdminNotFoundError(`no refresh-token family ${familyId}`);
  // The store revokes only an active family; false = already revoked (perhaps a moment ago by someone else).
  if (!(await store.refreshTokens.revokeFamily(familyId, now))) throw new AdminConflictError(`refresh-token family ${familyId} is already revoked`);
  return { ...family, status: 'revoked', revokedAt: now };
}
