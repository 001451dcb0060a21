import { randomUUID } from 'node:crypto';
import type { IfVersion, Store, User } from '../store/types.js';
import { VersionConflictError } from '../store/errors.js';
import { randomToken } from '../crypto/random.js';
import { hashSecret } from '../crypto/password-hash.js';
import { passwordProblems, USER_FIELDS, userProblems, userSettings, type UserInput } from './user-fields.js';
import { withInitialValues } from './fields.js';
import { AdminConflictError, AdminNotFoundError, assertNoProblems } from './problems.js';
import { nowSeconds, revokeUserSessions } from './sessions.js';
import { recordAdminChange, type AdminAudit } from './audit.js';

/** A password chosen for the operator when none is given; shown once by the caller. */
function generatedPassword(): string {
  return randomToken(18);
}

/** A user by id or by (case-insensitive) username. */
export async function findUser(store: Store, ref: string): Promise<User> {
  const user = (await store.users.get(ref)) ?? (await store.users.getByUsername(ref));
  if (!user) throw new AdminNotFoundError(`no user ${ref}`);
  return user;
}

/**
 * Creates a user. Without a password (or a pre-computed hash) one is generated and returned, to be shown once.
 * A taken username is the store's ConflictError.
 */
export async function createUser(store: Store, input: Partial<UserInput>, audit?: AdminAudit): Promise<{ user: User; password?: string }> {
  const generated = input.password === undefined && input.password_hash === undefined ? generatedPassword() : undefined;
  const full = withInitialValues(USER_FIELDS, generated === undefined ? input : { ...input, password: generated });
  assertNoProblems(userProblems(full, ''));
  const u = full as UserInput;
  const passwordHash = u.password !== undefined ? await hashSecret(u.password) : (u.password_hash ?? null);
  const user = await store.users.create({ id: u.id ?? randomUUID(), ...userSettings(u), passwordHash });
  recordAdminChange(audit, { resource: 'user', action: 'create', id: user.id, extra: { username: user.username } });
  return generated === undefined ? { user } : { user, password: generated };
}

/** Sets a new password (generated when none is given) and, unless kept, signs the user out everywhere. */
export async function setUserPassword(store: Store, ref: string, opts: { password?: string; keepSessions?: boolean }, audit?: AdminAudit): Promise<{ user: User; revoked: number; password?: string }> {
  const password = opts.password ?? generatedPassword();
  assertNoProblems(passwordProblems(password, 'password'));
  const user = await findUser(store, ref);
  const passwordHash = await hashSecret(password);
  // One transaction: the new password and the end of the old sessions take effect together or not at all.
  const revoked = await store.transaction(async (tx) => {
    if (!(await tx.users.update(user.id, { passwordHash }))) throw new AdminNotFoundError(`no user ${ref}`);
    return opts.keepSessions ? 0 : revokeUserSessions(tx, user.id, nowSeconds());
  });
  recordAdminChange(audit, { resource: 'user', action: 'set_password', id: user.id, extra: { revoked_families: revoked } });
  return { user, revoked, ...(opts.password === undefined ? { password } : {}) };
}

/** Disables a user and ends their sessions: their refresh tokens stop working at once. */
export async function disableUser(store: Store, ref: string, audit?: AdminAudit): Promise<{ user: User; revoked: number }> {
  const u = await findUser(store, ref);
  const user = (await store.users.update(u.id, { status: 'disabled' }))!;
  const revoked = await revokeUserSessions(store, u.id, nowSeconds());
  recordAdminChange(audit, { resource: 'user', action: 'disable', id: u.id, extra: { revoked_families: revoked } });
  return { user, revoked };
}

export async function enableUser(store: Store, ref: string, audit?: AdminAudit): Promise<User> {
  const u = await findUser(store, ref);
  const user = (await store.users.update(u.id, { status: 'active' }))!;
  recordAdminChange(audit, { resource: 'user', action: 'enable', id: u.id });
  return user;
}

/**
 * Deletes a user; the store revokes their refresh tokens in the same transaction. With `cond.ifVersion` the delete
 * is a compare-and-set: a user changed meanwhile (by anyone, on any node) is the store's VersionConflictError.
 */
export async function deleteUser(store: Store, ref: string, audit?: AdminAudit, cond: IfVersion = {}): Promise<User> {
  const u = await findUser(store, ref);
  if (!(await store.users.delete(u.id, cond))) throw new AdminNotFoundError(`no user ${ref}`);
  recordAdminChange(audit, { resource: 'user', action: 'delete', id: u.id, extra: { username: u.username } });
  return u;
}

/** Settings a user's update may change; null removes one (it takes its default again), as in a JSON merge patch. */
export type UserSettingsPatch = { [K in 'status' | 'scope' | 'email' | 'email_verified' | 'metadata']?: UserInput[K] | null };

/**
 * Changes the settings the patch names; the result is checked whole, as if stated in the import document. A user
 * disabled here is signed out everywhere in the same transaction, as `tessera user disable` does. With
 * `cond.ifVersion` the write is a compare-and-set: a user changed meanwhile (by anyone, on any node) is the store's
 * VersionConflictError and nothing is written.
 */
export async function updateUser(store: Store, id: string, patch: UserSettingsPatch, audit?: AdminAudit, cond: IfVersion = {}): Promise<{ user: User; revoked: number }> {
  const existing = await store.users.get(id);
  if (!existing) throw new AdminNotFoundError(`no user ${id}`);
  const merged: Record<string, unknown> = {
    id,
    username: existing.username,
    status: existing.status,
    ...(existing.scope !== null ? { scope: existing.scope.join(' ') } : {}),
    ...(existing.email !== null ? { email: existing.email } : {}),
    email_verified: existing.emailVerified,
    ...(existing.metadata ? { metadata: existing.metadata } : {}),
  };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete merged[name];
    else if (value !== undefined) merged[name] = value;
  }
  assertNoProblems(userProblems(merged, ''));
  const settings = userSettings(merged as UserInput);
  const changed = Object.fromEntries(Object.keys(patch).filter((name) => Object.hasOwn(SETTING_OF, name)).map((name) => [SETTING_OF[name as keyof UserSettingsPatch], settings[SETTING_OF[name as keyof UserSettingsPatch]]]));
  // The merged record was checked against the read above: written only if that read is still current (the
  // sign-out below also depends on the status read). A caller holding its own read (If-Match) gets the store's
  // VersionConflictError; a change between this function's own read and write is a conflict to retry.
  let result: { user: User; revoked: number };
  try {
    result = await store.transaction(async (tx) => {
      const user = await tx.users.update(id, changed, { ifVersion: cond.ifVersion ?? existing.version });
      if (!user) throw new AdminNotFoundError(`no user ${id}`);
      const revoked = existing.status === 'active' && user.status === 'disabled' ? await revokeUserSessions(tx, id, nowSeconds()) : 0;
      return { user, revoked };
    });
  } catch (err) {
    if (err instanceof VersionConflictError && cond.ifVersion === undefined) throw new AdminConflictError(`user ${id} was changed by another writer meanwhile; retry`);
    throw err;
  }
  recordAdminChange(audit, { resource: 'user', action: 'update', id, fields: Object.keys(patch), extra: { revoked_families: result.revoked } });
  return result;
}

const SETTING_OF = { status: 'status', scope: 'scope', email: 'email', email_verified: 'emailVerified', metadata: 'metadata' } as const;
