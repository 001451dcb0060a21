import { Type, type TSchema } from '@sinclair/typebox';
import { ClientRecordSchema } from '../../admin/client-fields.js';

/**
 * OpenAPI documentation of the admin API. The request bodies are the import document's own TypeBox schemas
 * (admin/client-fields.ts), the ones src/admin validates with, so the documentation cannot drift from the rules.
 * Like every route schema here they document only (app.ts's schemaController): src/admin validates.
 */
export const SECURITY = [{ bearer: [] }];

export const ProblemBody = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { description: 'RFC 9457 problem details (application/problem+json)' },
);

/** The settings PATCH may change: the import document's fields but the id, the secret and the keys; null removes. */
export const ClientPatchBody = Type.Object(
  Object.fromEntries(
    Object.entries(ClientRecordSchema.properties)
      .filter(([name]) => !['client_id', 'client_secret', 'client_secret_hash', 'api_keys'].includes(name))
      .map(([name, schema]) => [name, Type.Optional(Type.Union([schema as TSchema, Type.Null()]))]),
  ),
  { additionalProperties: false, description: 'JSON merge patch (RFC 7396) over the import-document fields' },
);

export const ClientCreateBody = Type.Partial(ClientRecordSchema, { description: 'A client as the import document states it; absent fields take their defaults' });

export const SecretView = Type.Object(
  {
    secret_id: Type.String({ description: 'a short public id of the secret (first 8 hex of SHA-256 over its stored hash)' }),
    current: Type.Boolean({ description: 'false for the secret a rotation kept for an overlap' }),
    expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    expired: Type.Boolean(),
    last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'approximate: nodes record uses about once a minute' }),
  },
  { description: 'One client secret; never the secret or its hash' },
);

export const ClientView = Type.Object(
  {
    ...Object.fromEntries(Object.entries(ClientRecordSchema.properties).filter(([name]) => !['client_secret', 'client_secret_hash'].includes(name))),
    has_secret: Type.Boolean(),
    secrets: Type.Optional(Type.Array(SecretView, { description: 'the current secret, and the one a rotation kept for an overlap' })),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    api_keys: Type.Optional(Type.Array(Type.String({ description: 'kind:public key hex' }))),
  },
  { description: 'A client as `tessera client show --json` shows it; never its secret' },
);

export const ClientCreated = Type.Composite([ClientView, Type.Object({ client_secret: Type.Optional(Type.String({ description: 'shown once' })) })]);

export const ClientList = Type.Object({ items: Type.Array(ClientView), next: Type.Union([Type.String(), Type.Null()], { description: 'the cursor of the next page' }) });

export const SecretRotateBody = Type.Object(
  {
    keep_old_for: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0 }), Type.String()], { description: 'keep the old secret working this long beside the new one: seconds, or "90m", "24h", "7d" (at most 90d)' }),
    ),
  },
  { additionalProperties: false },
);

export const SecretRotated = Type.Object({
  client_id: Type.String(),
  client_secret: Type.String({ description: 'shown once' }),
  secret_id: Type.String(),
  kept_secret_id: Type.Optional(Type.String({ description: 'the old secret, still working until kept_until' })),
  kept_until: Type.Optional(Type.String({ format: 'date-time' })),
});

export const SecretIdParams = Type.Object({ id: Type.String(), secret_id: Type.String() });

export const ApiKeyView = Type.Object({ client_id: Type.String(), kind: Type.String(), public_key: Type.String() });

export const ClientIdParams = Type.Object({ id: Type.String() });

export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ description: 'opaque; the `next` of the previous page' })),
});

export const ClientListQuery = Type.Object({
  ...ListQuery.properties,
  q: Type.Optional(Type.String({ maxLength: 200, description: 'only clients whose client_id or name contains this (case-insensitive)' })),
});

/** The responses every admin route may give besides its own. */
export function problems(...statuses: number[]): Record<number, typeof ProblemBody> {
  return Object.fromEntries([401, 403, ...statuses].map((s) => [s, ProblemBody]));
}
