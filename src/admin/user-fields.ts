import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { NewUser, User } from '../store/types.js';
import { isSupportedHash } from '../crypto/password-hash.js';
import { recordSchema, wellTyped, type Field } from './fields.js';
import { at, schemaProblems, type Problem } from './problems.js';
import { scopeProblems, splitScope } from './scope.js';
import { MetadataSchema, metadataProblems } from './metadata.js';

/**
 * The one table of user fields (resource owners of the password grant): the import document's schema, the CLI's
 * flags and the rules come from it. The password is hashed by the service, never stored as given.
 */
export const MIN_PASSWORD = 8;

function field<S extends TSchema, O extends Omit<Field<S>, 'schema'>>(schema: S, opts: O): { schema: S } & O {
  return { schema, ...opts };
}

export const USER_FIELDS = {
  id: field(Type.String({ minLength: 1 }), { flag: { flag: '--id <id>', help: 'user id (default: a random UUID); becomes the sub of their tokens', kind: 'text', createOnly: true } }),
  username: field(Type.String({ minLength: 1, maxLength: 255 }), { required: true, flag: { flag: '--username <username>', help: 'unique, case-insensitive', kind: 'text', createOnly: true, mandatory: true } }),
  password: field(Type.String(), {}),
  password_hash: field(Type.String(), {}),
  status: field(Type.Union([Type.Literal('active'), Type.Literal('disabled')]), { flag: { flag: '--disabled', help: 'create the user disabled', kind: 'switch', value: 'disabled', offValue: 'active', createOnly: true } }),
  scope: field(Type.String(), { flag: { flag: '--scope <scopes>', help: 'scopes this user may be granted, space-delimited (default: no user-level restriction)', kind: 'text', createOnly: true } }),
  email: field(Type.String(), { flag: { flag: '--email <email>', help: 'e-mail address', kind: 'text', createOnly: true } }),
  email_verified: field(Type.Boolean(), { flag: { flag: '--email-verified', help: 'mark the e-mail address as verified', kind: 'switch', createOnly: true } }),
  metadata: field(MetadataSchema, { flag: { flag: '--metadata <json|key=value>', help: 'metadata claim templates may reference as {{user.metadata.<path>}} (a JSON object, or key=value; repeatable)', kind: 'json-object', createOnly: true } }),
};

export const UserRecordSchema = recordSchema(USER_FIELDS);
export type UserInput = Static<typeof UserRecordSchema>;

/** Every problem with one user record (schema and rules together), paths under `base`. */
export function userProblems(item: unknown, base: string): Problem[] {
  const problems = schemaProblems(UserRecordSchema, item, base);
  const { view: u } = wellTyped<UserInput>(USER_FIELDS, item);
  const add = (field: string, message: string) => problems.push({ path: at(base, field), message });
  if (u.username !== undefined && (u.username.trim() !== u.username || /\p{Cc}/u.test(u.username))) add('username', 'must be 1-255 characters, without control characters or surrounding spaces');
  if (u.password !== undefined && u.password_hash !== undefined) problems.push({ path: base, message: 'give password or password_hash, not both' });
  if (u.password !== undefined) problems.push(...passwordProblems(u.password, at(base, 'password')));
  if (u.password_hash !== undefined && !isSupportedHash(u.password_hash)) add('password_hash', 'must be an argon2 PHC string');
  if (u.scope !== undefined) problems.push(...scopeProblems(u.scope, at(base, 'scope')));
  if (u.email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(u.email)) add('email', 'is not an e-mail address');
  if (u.metadata !== undefined) problems.push(...metadataProblems(u.metadata, at(base, 'metadata')));
  return problems;
}

/** Counted in characters as people type them, not UTF-16 units. */
export function passwordProblems(password: string, path: string): Problem[] {
  return [...password].length < MIN_PASSWORD ? [{ path, message: `must be at least ${MIN_PASSWORD} characters` }] : [];
}

/** The stored fields of a user stated whole (the password hash is the caller's). */
export function userSettings(u: UserInput): Omit<NewUser, 'id' | 'passwordHash'> {
  return {
    username: u.username,
    status: u.status ?? 'active',
    // Absent = no user-level restriction (the client's scope applies alone); '' = nothing at all.
    scope: u.scope === undefined ? null : splitScope(u.scope),
    email: u.email ?? null,
    emailVerified: u.email_verified ?? false,
    metadata: u.metadata ?? null,
  };
}

/** What operators are shown of a user: never the password hash. */
export function describeUser(u: User): Record<string, unknown> {
  return {
    id: u.id,
    username: u.username,
    status: u.status,
    // null = no user-level restriction (the client's scope applies alone).
    scope: u.scope === null ? null : u.scope.join(' '),
    email: u.email ?? undefined,
    email_verified: u.emailVerified,
    metadata: u.metadata ?? undefined,
    has_password: u.passwordHash !== null,
    created_at: new Date(u.createdAt * 1000).toISOString(),
    updated_at: new Date(u.updatedAt * 1000).toISOString(),
  };
}
