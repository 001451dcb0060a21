/** Clients, their dynamic registrations (RFC 7591) and their request-signing API keys (Cobo). */
import type { IfVersion, Status } from './common.js';

export type AuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'client_secret_jwt'
  | 'private_key_jwt'
  | 'none'
  | 'request_signature'
  | 'tls_client_auth'
  | 'self_signed_tls_client_auth';

export type AccessTokenFormatName = 'jwt' | 'opaque';

export interface RateLimitSetting {
  /** Requests allowed per window. */
  points: number;
  /** Window length in seconds. */
  duration: number;
}

export interface Client {
  clientId: string;
  name: string | null;
  /** argon2id PHC string of the client secret; null for public and key-authenticated clients. */
  secretHash: string | null;
  /** Plain secret for client_secret_jwt only (HMAC needs the secret), encrypted under the master key. */
  secretEncrypted: string | null;
  /** When the current secret stops working (Unix seconds); null = never. */
  secretExpiresAt: number | null;
  /** Last use of the current secret any node flushed (approximate: nodes flush once a minute); null = none seen. */
  secretLastUsedAt: number | null;
  /**
   * The secret a rotation kept working for an overlap (docs/tokens.md, "Client secret rotation"): its hash, its
   * sealed form (client_secret_jwt), its expiry and last use, as for the current one. All null when there is none.
   */
  previousSecretHash: string | null;
  previousSecretEncrypted: string | null;
  previousSecretExpiresAt: number | null;
  previousSecretLastUsedAt: number | null;
  tokenEndpointAuthMethod: AuthMethod;
  grantTypes: string[];
  scope: string[];
  defaultScope: string[] | null;
  audience: string[] | null;
  accessTokenTtl: number;
  accessTokenFormat: AccessTokenFormatName;
  /** Absolute lifetime of a refresh-token family, seconds; null = server default. */
  refreshTokenTtl: number | null;
  /** Idle timeout of a refresh token, seconds; null = server default. */
  refreshIdleTtl: number | null;
  /** Seconds during which a just-rotated refresh token may be presented again (lost-response retry). */
  refreshReuseInterval: number;
  /** May introspect tokens of other clients (RFC 7662 §2.1 "protected resource" permission). */
  introspectAny: boolean;
  jwks: unknown | null;
  jwksUri: string | null;
  rateLimit: RateLimitSetting | null;
  /**
   * RFC 8693 delegation (token exchange with actor_token): who may act for whom; null = refused. Optional in the
   * type so records built before the setting existed stay valid; the store always returns it (null when unset).
   */
  delegation?: DelegationPolicy | null;
  /** Browser origins (scheme://host[:port]) that get CORS on the token endpoints; null = no CORS. Optional as above. */
  allowedOrigins?: string[] | null;
  /**
   * RFC 8707: the resources (and RFC 8693 audiences) the client may ask for; null = its `audience` list
   * (oauth/resources.ts). Anything else is invalid_target.
   */
  allowedResources?: string[] | null;
  /** Operator data claim templates may reference (`{{client.metadata.plan}}`); bounded (admin/metadata.ts). */
  metadata?: Record<string, unknown> | null;
  /** Claim template: claim name -> literal or `{{reference}}` (oauth/claims.ts); reserved names refused. */
  claims?: Record<string, unknown> | null;
  /** Calls the token hook before issuance (oauth/token-hook.ts): what a failed call means; null = not called. */
  tokenHook?: 'fail_open' | 'fail_closed' | null;
  /**
   * RFC 8705 §2.1.2: how a tls_client_auth client's certificate is recognised, exactly one of the subject DN
   * (RFC 4514 string) or one subjectAltName entry; null when not set. Optional as above.
   */
  tlsClientAuthSubjectDn?: string | null;
  tlsClientAuthSanDns?: string | null;
  tlsClientAuthSanUri?: string | null;
  tlsClientAuthSanIp?: string | null;
  tlsClientAuthSanEmail?: string | null;
  /** RFC 8705 §3.4: the client always asks for certificate-bound access tokens (a request without a certificate is refused). */
  tlsClientCertificateBoundAccessTokens?: boolean;
  /** RFC 9449 §5.2: every token request must carry a DPoP proof (bearer requests refused). Optional as above. */
  dpopBoundAccessTokens?: boolean;
  status: Status;
  createdAt: number;
  updatedAt: number;
  /** 1 on creation, incremented by every update: what a compare-and-set write (ifVersion) compares. */
  version: number;
}

/** A client's delegation policy (docs/tokens.md "Delegation"): "*" in a list means anyone. */
export interface DelegationPolicy {
  /** The actors (the actor token's `sub`) this client may present. */
  actors: string[];
  /** The subjects (a user's id or username, or a token's `sub`) they may act for. */
  may_act_for: string[];
}

/** The fields of a second secret (and secret expiry and use): a new client may leave them out (null). */
export type SecretOverlapField = 'secretExpiresAt' | 'secretLastUsedAt' | 'previousSecretHash' | 'previousSecretEncrypted' | 'previousSecretExpiresAt' | 'previousSecretLastUsedAt';
export type NewClient = Omit<Client, 'createdAt' | 'updatedAt' | 'version' | SecretOverlapField> & Partial<Pick<Client, SecretOverlapField>>;
export type ClientPatch = Partial<Omit<Client, 'clientId' | 'createdAt' | 'updatedAt' | 'version'>>;

/** A client update's conditions: the version (admin If-Match) and/or the current secret hash (rotation). */
export interface ClientUpdateCondition extends IfVersion {
  /** Applies only while the current secret hash is this (null: no secret); otherwise the update answers undefined. */
  ifSecretHash?: string | null;
}

export interface ClientStore {
  get(clientId: string): Promise<Client | undefined>;
  /**
   * Clients in client_id order after `after`; with `search`, only those whose client_id or name contains it
   * (case-insensitive, the text taken literally: no wildcards).
   */
  list(opts?: { limit?: number; after?: string; search?: string }): Promise<Client[]>;
  /**
   * The distinct scope values of up to `limit` clients, in storage order (the discovery document's
   * `scopes_supported`): only the scope column is read, so start-up does not walk whole rows of a large store.
   */
  scopeSample(limit: number): Promise<string[]>;
  /** Every origin in any client's allowed_origins, distinct (the CORS preflight index, oauth/cors-origins.ts). */
  allowedOrigins(): Promise<string[]>;
  create(client: NewClient): Promise<Client>;
  /**
   * Returns the updated client, or undefined when it does not exist. With `ifVersion`, a compare-and-set in one
   * statement: a client whose version is another throws VersionConflictError and nothing is written, so two
   * writers (on any nodes) holding the same read cannot both succeed. With `ifSecretHash` it applies only while
   * the current secret hash is that value (null: no secret), and undefined also means another writer changed the
   * secret meanwhile.
   */
  update(clientId: string, patch: ClientPatch, cond?: ClientUpdateCondition): Promise<Client | undefined>;
  /**
   * Records that the secret with this hash (current or previous) was used at `at`, unless a later use is already
   * recorded. No change-feed record, no updated_at or version change: this is usage bookkeeping, not a setting,
   * and the token path never reads it. A hash the client no longer holds is ignored.
   */
  recordSecretUse(clientId: string, secretHash: string, at: number): Promise<void>;
  /** False when it does not exist; with `ifVersion`, VersionConflictError when it changed (nothing deleted). */
  delete(clientId: string, cond?: IfVersion): Promise<boolean>;
  count(): Promise<number>;
}

/** A client registered through RFC 7591 dynamic client registration. */
export interface ClientRegistration {
  clientId: string;
  /** SHA-256 hex of the registration access token (RFC 7592 §1); the token itself is never stored. */
  tokenHash: string;
  /** The client whose initial access token registered it. */
  registeredBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface ClientRegistrationStore {
  get(clientId: string): Promise<ClientRegistration | undefined>;
  /** Records the registration of an existing client; a second one for the same client is a ConflictError. */
  create(registration: Omit<ClientRegistration, 'createdAt' | 'updatedAt'>): Promise<ClientRegistration>;
  /** Replaces the token hash; false when the client has no registration. Deleting the client deletes it. */
  setTokenHash(clientId: string, tokenHash: string): Promise<boolean>;
}

export interface ApiKey {
  /** Normalised lower-case hex public key (Ed25519 32 bytes, or compressed secp256k1 33 bytes). */
  publicKey: string;
  clientId: string;
  kind: 'ed25519' | 'secp256k1';
  createdAt: number;
}

export interface ApiKeyStore {
  get(publicKey: string): Promise<ApiKey | undefined>;
  listForClient(clientId: string): Promise<ApiKey[]>;
  add(key: Omit<ApiKey, 'createdAt'>): Promise<ApiKey>;
  remove(publicKey: string): Promise<boolean>;
}
