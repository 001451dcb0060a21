import { Type, type TSchema } from '@sinclair/typebox';
import { UserRecordSchema } from '../../admin/user-fields.js';

/**
 * OpenAPI documentation of the users resource, from the import document's own user schema (admin/user-fields.ts),
 * the one src/admin validates with. Documentation only, as schemas.ts explains.
 */
export const UserCreateBody = Type.Partial(UserRecordSchema, { description: 'A user as the import document states it; without password or password_hash one is generated and shown once' });

/** What PATCH may change; null removes a field (it takes its default again). */
export const UserPatchBody = Type.Object(
  Object.fromEntries(
    Object.entries(UserRecordSchema.properties)
      .filter(([name]) => ['status', 'scope', 'email', 'email_verified', 'metadata'].includes(name))
      .map(([name, schema]) => [name, Type.Optional(Type.Union([schema as TSchema, Type.Null()]))]),
  ),
  { additionalProperties: false, description: 'JSON merge patch (RFC 7396) over the import-document fields' },
);

export const UserView = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
    scope: Type.Union([Type.String(), Type.Null()], { description: 'null: no user-level restriction' }),
    email: Type.Optional(Type.String()),
    email_verified: Type.Boolean(),
    metadata: Type.Optional(Type.Object({}, { additionalProperties: true })),
    has_password: Type.Boolean(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { description: 'A user as `tessera user show --json` shows it; never the password or its hash' },
);

export const UserCreated = Type.Composite([UserView, Type.Object({ password: Type.Optional(Type.String({ description: 'generated; shown once' })) })]);

export const UserList = Type.Object({ items: Type.Array(UserView), next: Type.Union([Type.String(), Type.Null()], { description: 'the cursor of the next page' }) });

export const UserListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ description: 'opaque; the `next` of the previous page' })),
  username: Type.Optional(Type.String({ description: 'exactly this username (case-insensitive)' })),
  email: Type.Optional(Type.String({ description: 'exactly this e-mail address (case-insensitive)' })),
  status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
});

export const UserIdParams = Type.Object({ id: Type.String() });

export const PasswordBody = Type.Object(
  { password: Type.Optional(Type.String({ description: 'at least 8 characters; generated and shown once when absent' })), keep_sessions: Type.Optional(Type.Boolean({ description: 'keep the refresh tokens working (default: sign out everywhere)' })) },
  { additionalProperties: false },
);

export const PasswordSet = Type.Object({ id: Type.String(), username: Type.String(), revoked_refresh_token_families: Type.Integer(), password: Type.Optional(Type.String({ description: 'generated; shown once' })) });

export const SessionsRevoked = Type.Object({ id: Type.String(), revoked_refresh_token_families: Type.Integer() });
