/**
 * The JSON of Tessera's admin API (/admin/v1), as plain interfaces. This package has no dependency on the server,
 * so it cannot import the server's TypeBox schemas: these mirror the documented JSON (docs/admin-api.md), with the
 * field names of the import document, and must be kept in step with src/http/admin/*.
 */

export type Status = 'active' | 'disabled';

/** A client as the import document states it (every field of a create; a patch takes them but the id, secret and keys). */
export interface AdminClientFields {
  client_id?: string;
  client_secret?: string;
  client_secret_hash?: string;
  name?: string;
  status?: Status;
  token_endpoint_auth_method?: string;
  grant_types?: string[];
  scope?: string;
  default_scope?: string;
  audience?: string[];
  access_token_ttl?: number;
  access_token_format?: 'jwt' | 'opaque';
  refresh_token_ttl?: number;
  refresh_idle_ttl?: number;
  refresh_reuse_interval?: number;
  introspect_any?: boolean;
  rate_limit?: { points: number; duration: number };
  jwks?: { keys: Array<Record<string, unknown>> };
  jwks_uri?: string;
  /** RFC 8707: resources / audiences the client may ask for (default: its audience list). */
  allowed_resources?: string[];
  /** Data claim templates may reference; bounded (4096 bytes as JSON, depth 4, 64 keys). */
  metadata?: Record<string, unknown>;
  /** Claim template: claim name -> literal or `{{reference}}` (reserved claims refused). */
  claims?: Record<string, unknown>;
  /** Call the token hook before issuing, and what its failure means (absent: not called). */
  token_hook?: 'fail_open' | 'fail_closed';
  /** RFC 9449 §5.2: every token request of the client must carry a DPoP proof. */
  dpop_bound_access_tokens?: boolean;
  api_keys?: string[];
}

/** RFC 7396 merge patch: a value sets a field, null removes it (it takes its default again). */
export type MergePatch<T> = { [K in keyof T]?: T[K] | null };

export type AdminClientPatch = MergePatch<Omit<AdminClientFields, 'client_id' | 'client_secret' | 'client_secret_hash' | 'api_keys'>>;

/** A client as `tessera client show --json` shows it: never its secret. */
export interface AdminClientView extends Omit<AdminClientFields, 'client_secret' | 'client_secret_hash'> {
  client_id: string;
  status: Status;
  grant_types: string[];
  has_secret: boolean;
  /** The current secret and, during a rotation's overlap, the kept one (absent for a client without a secret). */
  secrets?: SecretView[];
  created_at: string;
  updated_at: string;
}

/** One client secret; never the secret or its hash. */
export interface SecretView {
  /** A short public id (first 8 hex of SHA-256 over the stored hash). */
  secret_id: string;
  /** False for the secret a rotation kept for an overlap. */
  current: boolean;
  expires_at: string | null;
  expired: boolean;
  /** Approximate: nodes record uses about once a minute. */
  last_used_at: string | null;
}

/** The answer to a create: the secret is shown this once. */
export interface AdminClientCreated extends AdminClientView {
  client_secret?: string;
}

export interface SecretRotated {
  client_id: string;
  client_secret: string;
  secret_id: string;
  /** With keepOldFor: the old secret, still working until kept_until. */
  kept_secret_id?: string;
  kept_until?: string;
}

export interface ApiKeyView {
  client_id: string;
  kind: string;
  public_key: string;
}

export interface ClientSessionsRevoked {
  client_id: string;
  revoked_refresh_token_families: number;
}

export interface AdminUserFields {
  id?: string;
  username?: string;
  password?: string;
  password_hash?: string;
  status?: Status;
  scope?: string;
  email?: string;
  email_verified?: boolean;
}

export type AdminUserCreate = AdminUserFields & { username: string };

export type AdminUserPatch = MergePatch<Pick<AdminUserFields, 'status' | 'scope' | 'email' | 'email_verified'>>;

/** A user as `tessera user show --json` shows it: never the password or its hash. */
export interface AdminUserView {
  id: string;
  username: string;
  status: Status;
  /** null: no user-level restriction. */
  scope: string | null;
  email?: string;
  email_verified: boolean;
  has_password: boolean;
  created_at: string;
  updated_at: string;
}

export interface AdminUserCreated extends AdminUserView {
  /** Generated; shown once. */
  password?: string;
}

export interface UserListFilter {
  username?: string;
  email?: string;
  status?: Status;
}

export interface PasswordSet {
  id: string;
  username: string;
  revoked_refresh_token_families: number;
  /** Generated; shown once. */
  password?: string;
}

export interface UserSessionsRevoked {
  id: string;
  revoked_refresh_token_families: number;
}

/** A refresh-token family: one sign-in session. */
export interface FamilyView {
  family_id: string;
  client_id: string;
  subject: string;
  scope: string;
  status: 'active' | 'revoked';
  created_at: string;
  last_used_at: string | null;
  expires_at: string;
  revoked_at?: string;
}

export interface OrganizationFields {
  id?: string;
  name?: string;
}

export interface OrganizationPatch {
  name?: string;
  status?: Status;
}

export interface OrganizationView {
  id: string;
  name: string;
  status: Status;
  created_at: string;
  updated_at: string;
}

export interface InstallationCreate {
  client_id: string;
  /** Approved scopes, a subset of the client's; "" for none. */
  scope: string;
  id?: string;
}

export interface InstallationView {
  id: string;
  org_id: string;
  client_id: string;
  scope: string;
  status: 'active' | 'revoked';
  created_at: string;
  approved_at?: string;
  revoked_at?: string;
  /** In the answer to a write only: e.g. the client lacks the org_implicit grant. */
  warnings?: string[];
}

/**
 * An identity provider as the import document's identity_providers[] states it. The settings depend on `type`;
 * secrets (`client_secret`, `app_token`) are write-only and read back as "(sealed)".
 */
export interface IdentityProviderFields {
  name: string;
  type: 'oidc' | 'introspection' | 'jwt_bearer';
  issuer?: string;
  jwks_uri?: string;
  jwks?: { keys: Array<Record<string, unknown>> };
  audiences?: string[];
  endpoint?: string;
  format?: string;
  client_id?: string;
  client_secret?: string;
  allowed_clients?: string[];
  auto_provision?: boolean;
  [setting: string]: unknown;
}

export type IdentityProviderPatch = { [setting: string]: unknown };

export interface IdentityProviderView extends IdentityProviderFields {
  updated_at: string;
}

export interface SigningKeyView {
  kid: string;
  alg: string;
  status: 'active' | 'retired';
  created_at: string;
  /** A retired key stays in the JWKS until every token it signed has expired. */
  published_until?: string;
}

export type SigningAlg = 'ES256' | 'EdDSA' | 'RS256';

/** One page of a list: `next` is the cursor of the following page, null on the last. */
/** The security event types of the audit trail (docs/operations.md, "Event reference"). */
export type EventType =
  | 'client.auth_failed'
  | 'login.failed'
  | 'login.throttled'
  | 'refresh.reuse_detected'
  | 'token.issued'
  | 'token.revoked'
  | 'family.revoked'
  | 'installation.revoked'
  | 'key.rotated'
  | 'key.retired'
  | 'idp.unavailable'
  | 'idp.recovered'
  | 'rate_limit.rejected'
  | 'admin.change'
  | 'delegation.granted'
  | 'delegation.refused';

/** A security event as `GET /admin/v1/events` returns it; never a secret or a token. */
export interface EventView {
  /** Time-ordered and unique across nodes: the key to deduplicate by. */
  id: string;
  /** RFC 3339. */
  time: string;
  type: EventType;
  client_id: string | null;
  subject: string | null;
  address: string | null;
  request_id: string | null;
  /** Who made an admin change. */
  actor: { kind: 'admin_api' | 'cli' | 'import' | 'system'; id: string } | null;
  details: Record<string, unknown>;
}

/** Filters of AdminClient.events(): all optional, combined with AND. */
export interface EventQuery {
  type?: EventType;
  clientId?: string;
  subject?: string;
  /** Inclusive: a Date or an RFC 3339 string. */
  since?: Date | string;
  /** Exclusive: a Date or an RFC 3339 string. */
  until?: Date | string;
}

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
