import { randomUUID } from 'node:crypto';
import type { Store, User } from '../store/types.js';
import { randomToken } from '../crypto/random.js';
import { hashSecret } from '../crypto/password-hash.js';
import { passwordProblems, USER_FIELDS, userProblems, userSettings, type UserInput } from './user-fields.js';
import { withInitialValues } from './fields.js';
import { AdminNotFoundError, assertNoProblems } from './problems.js';
import { nowSeconds, revokeUserSessions } from './sessions.js';

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
export async function createUser(store: Store, input: Partial<UserInput>): Promise<{ user: User; password?: string }> {
  const generated = input.password === undefined && input.password_hash === undefined ? generatedPassword() : undefined;
  const full = withInitialValues(USER_FIELDS, generated === undefined ? input : { ...input, password: generated });
  assertNoProblems(userProblems(full, ''));
  const u = full as UserInput;
  const passwordHash = u.password !== undefined ? await hashSecret(u.password) : (u.password_hash ?? null);
  const user = await store.users.create({ id: u.id ?? randomUUID(), ...userSettings(u), passwordHash });
  return generated === undefined ? { user } : { user, password: generated };
}

/** Sets a new password (generated when none is given) and, unless kept, signs the user out everywhere. */
export async function setUserPassword(store: Store, ref: string, opts: { password?: string; keepSessions?: boolean }): Promise<{ user: User; revoked: number; password?: string }> {
  const password = opts.password ?? generatedPassword();
  assertNoProblems(passwordProblems(password, 'password'));
  const user = await findUser(store, ref);
  await store.users.update(user.id, { passwordHash: await hashSecret(password) });
  const revoked = opts.keepSessions ? 0 : await revokeUserSessions(store, user.id, nowSeconds());
  return { user, revoked, ...(opts.password === undefined ? { password } : {}) };
}

/** Disables a user and ends their sessions: their refresh tokens stop working at once. */
export async function disableUser(store: Store, ref: string): Promise<{ user: User; revoked: number }> {
  const u = await findUser(store, ref);
  const user = (await store.users.update(u.id, { status: 'disabled' }))!;
  return { user, revoked: await revokeUserSessions(store, u.id, nowSeconds()) };
}

export async function enableUser(store: Store, ref: string): Promise<User> {
  const u = await findUser(store, ref);
  return (await store.users.update(u.id, { status: 'active' }))!;
}

/** Deletes a user; the store revokes their refresh tokens in the same transaction. */
export async function deleteUser(store: Store, ref: string): Promise<User> {
  const u = await findUser(store, ref);
  if (!(await store.users.delete(u.id))) throw new AdminNotFoundError(`no user ${ref}`);
  return u;
}
