/**
 * The JSON of Tessera's admin API (/admin/v1). This package has no dependency on the server, so the types come from
 * admin-types.generated.ts, which scripts/gen-admin-types.mjs writes from the server's own TypeBox schemas
 * (src/http/admin/*; `npm run gen:admin-types`, and a test fails while the checked-in file is stale). This file
 * keeps the public names and adds only what has no schema: the client's own option shapes (camelCase, Date
 * accepting), paging and ETag wrappers, and the few narrowings the server enforces in code rather than in a schema.
 */
import type {
  AdminClientCreate,
  AdminClientPatchBody,
  AdminUserCreateBody,
  AdminUserListQuery,
  AdminUserPatchBody,
  AdminUserView,
  EventView,
  IdentityProviderBody,
  IdentityProviderPatchBody,
  IdentityProviderViewBody,
  OrganizationCreate,
  SigningKeyRotateBody,
} from './admin-types.generated.js';

export type {
  AdminClientCreated,
  AdminClientView,
  AdminUserCreated,
  AdminUserView,
  ApiKeyView,
  ClientSessionsRevoked,
  EventView,
  FamilyView,
  InstallationCreate,
  InstallationPatch,
  InstallationView,
  OrganizationPatch,
  OrganizationView,
  PasswordSet,
  SecretRotated,
  SecretView,
  SigningKeyView,
  UserSessionsRevoked,
} from './admin-types.generated.js';

export type Status = AdminUserView['status'];

/** A client as the import document states it (every field of a create; a patch takes them but the id, secret and keys). */
export type AdminClientFields = AdminClientCreate;

/** RFC 7396 merge patch: a value sets a field, null removes it (it takes its default again). */
export type MergePatch<T> = { [K in keyof T]?: T[K] | null };

/** The settings PATCH may change; null removes a field. */
export type AdminClientPatch = AdminClientPatchBody;

export type AdminUserFields = AdminUserCreateBody;

/** The create's schema is the import document's, all optional; admin/users.ts requires the username in code. */
export type AdminUserCreate = AdminUserFields & { username: string };

export type AdminUserPatch = AdminUserPatchBody;

export type UserListFilter = Pick<AdminUserListQuery, 'username' | 'email' | 'status'>;

export type OrganizationFields = OrganizationCreate;

/**
 * An identity provider as the import document's identity_providers[] states it, by `type`; secrets
 * (`client_secret`, `app_token`) are write-only and read back as "(sealed)".
 */
export type IdentityProviderFields = IdentityProviderBody;

export type IdentityProviderPatch = IdentityProviderPatchBody;

/**
 * The route's view schema is open (name, type, updated_at and any setting, sealed secrets as "(sealed)"); the
 * settings it shows are the import document's, so the view is typed as those plus updated_at.
 */
export type IdentityProviderView = IdentityProviderFields & Pick<IdentityProviderViewBody, 'updated_at'>;

export type SigningAlg = NonNullable<SigningKeyRotateBody['alg']>;

/** The security event types of the audit trail (docs/operations.md, "Event reference"). */
export type EventType = EventView['type'];

/** Filters of AdminClient.events(): all optional, combined with AND (the client's camelCase, Dates accepted). */
export interface EventQuery {
  type?: EventType;
  clientId?: string;
  subject?: string;
  /** Inclusive: a Date or an RFC 3339 string. */
  since?: Date | string;
  /** Exclusive: a Date or an RFC 3339 string. */
  until?: Date | string;
}

/** One page of a list: `next` is the cursor of the following page, null on the last. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface ListOptions {
  /** Page size, 1-200 (server default 50). */
  limit?: number;
  /** Start after this cursor (the `next` of an earlier page). */
  cursor?: string;
}

/** A read with the representation's ETag, to send back as `If-Match`. */
export interface Tagged<T> {
  value: T;
  etag: string | undefined;
}

/** `etag`: send `If-Match` (the write is refused with 412 if the resource changed since that read). */
export interface WriteOptions {
  etag?: string;
  signal?: AbortSignal;
}
