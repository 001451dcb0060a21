import type { Generated } from 'kysely';

/** Row shapes as stored. Booleans are 0/1 integers and JSON is text, so one schema serves SQLite and PostgreSQL. */
export interface ClientRow {
  client_id: string;
  name: string | null;
  secret_hash: string | null;
  secret_encrypted: string | null;
  secret_expires_at: number | null;
  secret_last_used_at: number | null;
  previous_secret_hash: string | null;
  previous_secret_encrypted: string | null;
  previous_secret_expires_at: number | null;
  previous_secret_last_used_at: number | null;
  token_endpoint_auth_method: string;
  grant_types: string;
  scope: string;
  default_scope: string | null;
  audience: string | null;
  access_token_ttl: number;
  access_token_format: string;
  refresh_token_ttl: number | null;
  refresh_idle_ttl: number | null;
  refresh_reuse_interval: number;
  introspect_any: number;
  jwks: string | null;
  jwks_uri: string | null;
  rate_limit: string | null;
  delegation: string | null;
  allowed_origins: string | null;
  allowed_resources: string | null;
  metadata: string | null;
  claims: string | null;
  token_hook: string | null;
  tls_client_auth_subject_dn: string | null;
  tls_client_auth_san_dns: string | null;
  tls_client_auth_san_uri: string | null;
  tls_client_auth_san_ip: string | null;
  tls_client_auth_san_email: string | null;
  tls_client_certificate_bound_access_tokens: number;
  dpop_bound_access_tokens: number;
  status: string;
  created_at: number;
  updated_at: number;
  version: number;
}

/** RFC 7591: a dynamically registered client and the SHA-256 of its registration access token (RFC 7592). */
export interface ClientRegistrationRow {
  client_id: string;
  token_hash: string;
  registered_by: string;
  created_at: number;
  updated_at: number;
}

export interface ApiKeyRow {
  public_key: string;
  client_id: string;
  kind: string;
  created_at: number;
}

export interface SigningKeyRow {
  kid: string;
  alg: string;
  status: string;
  public_jwk: string;
  private_key_encrypted: string;
  created_at: number;
  retired_at: number | null;
  publish_until: number | null;
  activates_at: number | null;
}

export interface UserRow {
  id: string;
  username: string;
  username_normalized: string;
  password_hash: string | null;
  status: string;
  scope: string | null;
  email: string | null;
  email_normalized: string | null;
  email_verified: number;
  metadata: string | null;
  created_at: number;
  updated_at: number;
  version: number;
}

export interface RefreshFamilyRow {
  family_id: string;
  client_id: string;
  subject: string;
  user_id: string | null;
  org_id: string | null;
  installation_id: string | null;
  scope: string;
  claims: string | null;
  audience: string | null;
  status: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  confirmation: string | null;
}

export interface RefreshTokenRow {
  hash: string;
  family_id: string;
  status: string;
  scope: string;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
  successor: string | null;
}

export interface AccessTokenRow {
  hash: string;
  jti: string;
  client_id: string;
  subject: string;
  user_id: string | null;
  org_id: string | null;
  family_id: string | null;
  scope: string;
  audience: string;
  claims: string | null;
  issued_at: number;
  expires_at: number;
}

export interface RevokedJtiRow {
  jti: string;
  client_id: string;
  expires_at: number;
}

export interface ReplayRow {
  key: string;
  expires_at: number;
}

export interface OrganizationRow {
  id: string;
  name: string;
  status: string;
  metadata: string | null;
  created_at: number;
  updated_at: number;
  version: number;
}

export interface InstallationRow {
  id: string;
  org_id: string;
  client_id: string;
  scope: string;
  status: string;
  created_at: number;
  approved_at: number | null;
  revoked_at: number | null;
  metadata: string | null;
  version: number;
}

export interface IdentityProviderRow {
  name: string;
  type: string;
  config: string;
  created_at: number;
  updated_at: number;
  version: number;
}

export interface UserLinkRow {
  provider: string;
  subject: string;
  user_id: string;
  created_at: number;
}

export interface ChangeRow {
  seq: Generated<number>;
  topic: string;
  key: string;
  at: number;
}

export interface EventRow {
  id: string;
  /** Milliseconds since the epoch. */
  time: number;
  type: string;
  client_id: string | null;
  subject: string | null;
  address: string | null;
  request_id: string | null;
  actor_kind: string | null;
  actor_id: string | null;
  details: string;
}

export interface Database {
  clients: ClientRow;
  api_keys: ApiKeyRow;
  client_registrations: ClientRegistrationRow;
  signing_keys: SigningKeyRow;
  users: UserRow;
  refresh_families: RefreshFamilyRow;
  refresh_tokens: RefreshTokenRow;
  access_tokens: AccessTokenRow;
  revoked_jtis: RevokedJtiRow;
  replay: ReplayRow;
  organizations: OrganizationRow;
  installations: InstallationRow;
  identity_providers: IdentityProviderRow;
  user_links: UserLinkRow;
  changes: ChangeRow;
  events: EventRow;
}
