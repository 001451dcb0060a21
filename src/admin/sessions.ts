import type { Store } from '../store/types.js';

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
