/**
 * Domain records and the narrow Store interfaces the protocol needs, one per aggregate.
 * Backends (store/sql over SQLite or PostgreSQL) implement these; test/conformance runs the same suite on each.
 * Times are Unix seconds. Secrets are never stored in clear: secrets and passwords as argon2id PHC strings,
 * tokens as SHA-256 hex.
 */

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
export type Status = 'active' | 'disabled';

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

/** A compare-and-set condition: the write applies only if the record's version is still this one. */
export interface IfVersion {
  ifVersion?: number;
}

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

export type SigningAlg = 'ES256' | 'EdDSA' | 'RS256';

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  /**
   * active: signs (the newest active key whose activation has passed); pending: published in the JWKS, signs
   * from activatesAt on (a scheduled rotation, docs/tokens.md "Signing-key rotation"); retired: verifies only,
   * published until publishUntil.
   */
  status: 'active' | 'pending' | 'retired';
  publicJwk: Record<string, unknown>;
  /** The private key (PKCS#8 DER) sealed with AES-256-GCM under the master key. */
  privateKeyEncrypted: string;
  createdAt: number;
  retiredAt: number | null;
  /** Stays in the JWKS until this time (every token it signed has expired by then). */
  publishUntil: number | null;
  /** When the key starts signing; null: from createdAt (keys that were active from their creation). */
  activatesAt: number | null;
}

/** A new key's material, as keys/generate.ts makes it; the store sets the rest. */
export type NewSigningKey = Omit<SigningKey, 'createdAt' | 'status' | 'retiredAt' | 'publishUntil' | 'activatesAt'>;

/** What a scheduled activation changed: the key that now signs and the keys it retired. */
export interface KeyActivation {
  activated: SigningKey;
  retired: SigningKey[];
}

export interface KeyStore {
  /** Active keys first, then pending, then retired; newest first within each. */
  list(): Promise<SigningKey[]>;
  insert(key: Omit<SigningKey, 'createdAt' | 'activatesAt'> & { createdAt?: number; activatesAt?: number | null }): Promise<SigningKey>;
  /**
   * Atomically: retire every active and pending key (publish until the given time) and insert the new active
   * one. A manual rotation supersedes a scheduled next key (which may already sign on nodes past its activation).
   */
  rotate(newKey: NewSigningKey, publishUntil: number): Promise<SigningKey>;
  /**
   * Inserts key as the active key unless one exists, atomically across processes (several nodes starting on a
   * fresh database create one first key, not one each). True when this call inserted it.
   */
  insertFirstActive(key: NewSigningKey): Promise<boolean>;
  /**
   * The scheduler's compare-and-set: inserts key as the pending key activating at `activatesAt` only if no key
   * is pending and the newest active key activated at or before `dueBefore`, in one transaction serialised
   * across processes. The inserted key, or undefined when another node (or an operator) got there first.
   */
  insertNextIfDue(key: NewSigningKey, at: { now: number; activatesAt: number; dueBefore: number }): Promise<SigningKey | undefined>;
  /**
   * Makes the pending key whose activation time has passed (at `now`) active and retires the active keys that
   * activated before it: retired at its activation time, published until then + publishFor. Undefined when no
   * pending key is due, or another node activated it first (compare-and-set on its status).
   */
  activateDue(now: number, publishFor: number): Promise<KeyActivation | undefined>;
  deleteExpired(now: number): Promise<number>;
  /**
   * Retires one active key without adding another, atomically across processes: 'only_active' (nothing changed)
   * when it is the last active key, 'already_retired', 'missing'; else 'retired', published until `publishUntil`.
   * With `ifStatus` (the status the caller read, If-Match), a compare-and-set: 'changed' (nothing changed) when the
   * key's status is no longer that one. A key changes only by changing status (pending -> active -> retired), so
   * its status is its version.
   */
  retire(kid: string, publishUntil: number, ifStatus?: SigningKey['status']): Promise<'retired' | 'missing' | 'already_retired' | 'only_active' | 'changed'>;
}

export interface User {
  id: string;
  username: string;
  passwordHash: string | null;
  status: Status;
  /** Scopes this user may be granted; null = no user-level restriction. */
  scope: string[] | null;
  email: string | null;
  emailVerified: boolean;
  /** Operator data claim templates may reference (`{{user.metadata.roles}}`); bounded (admin/metadata.ts). */
  metadata?: Record<string, unknown> | null;
  createdAt: number;
  updatedAt: number;
  /** 1 on creation, incremented by every update: what a compare-and-set write (ifVersion) compares. */
  version: number;
}

export type NewUser = Omit<User, 'createdAt' | 'updatedAt' | 'version'>;
export type UserPatch = Partial<Omit<User, 'id' | 'createdAt' | 'updatedAt' | 'version'>>;

export interface UserListOptions {
  limit?: number;
  after?: string;
  username?: string;
  email?: string;
  status?: User['status'];
}

export interface UserStore {
  get(id: string): Promise<User | undefined>;
  /** Case-insensitive lookup. */
  getByUsername(username: string): Promise<User | undefined>;
  getByEmail(email: string): Promise<User | undefined>;
  /** By username_normalized, after `after`; the filters match exactly (username and e-mail case-insensitively). */
  list(opts?: UserListOptions): Promise<User[]>;
  create(user: NewUser): Promise<User>;
  /**
   * The updated user, or undefined when it does not exist. With `ifVersion`, a compare-and-set in one statement:
   * a user whose version is another throws VersionConflictError and nothing is written (as ClientStore.update).
   */
  update(id: string, patch: UserPatch, cond?: IfVersion): Promise<User | undefined>;
  /** False when it does not exist; with `ifVersion`, VersionConflictError when it changed (nothing deleted). */
  delete(id: string, cond?: IfVersion): Promise<boolean>;
}

export interface RefreshFamily {
  familyId: string;
  clientId: string;
  /** The token subject (user id, organisation id, or client id). */
  subject: string;
  userId: string | null;
  orgId: string | null;
  installationId: string | null;
  /** Scope granted at the start of the family; refreshes may narrow but never widen it. */
  scope: string[];
  /** Extra claims carried into every access token of the family (e.g. the identity provider). */
  claims: Record<string, unknown> | null;
  /** RFC 8707 §2.2: the audiences the family was granted (null = the default); a refresh may narrow them. */
  audience?: string[] | null;
  status: 'active' | 'revoked';
  createdAt: number;
  /** Absolute end of the family. */
  expiresAt: number;
  revokedAt: number | null;
  /**
   * The key the family's refresh tokens are bound to (RFC 7800 `cnf`; RFC 9449 §5 for a public client's DPoP
   * key): a refresh must prove possession of it. Null or absent: unbound. Optional so records built before the
   * setting existed stay valid; the store always returns it.
   */
  confirmation?: Confirmation | null;
}

/**
 * RFC 7800 §3.1 `cnf`: how a token is bound to a key its presenter must prove. Each sender-constraining method
 * adds its member: `jkt` (RFC 9449 §6.1, DPoP: the JWK SHA-256 thumbprint), `x5t#S256` (RFC 8705 §3.1, mTLS).
 */
export interface Confirmation {
  jkt?: string;
  'x5t#S256'?: string;
}

export interface RefreshToken {
  hash: string;
  familyId: string;
  status: 'active' | 'rotated' | 'revoked';
  /** The scope this token carries (narrowed on refresh). */
  scope: string[];
  createdAt: number;
  /** Idle expiry of this token (min of idle timeout and the family's absolute end). */
  expiresAt: number;
  rotatedAt: number | null;
}

export interface RefreshTokenRecord {
  token: RefreshToken;
  family: RefreshFamily;
}

export type RotateOutcome =
  | { kind: 'rotated'; family: RefreshFamily; previous: RefreshToken }
  /** The presented token was rotated within the client's reuse interval: rotated again, family intact. */
  | { kind: 'retried'; family: RefreshFamily; previous: RefreshToken }
  /** Presented after rotation outside the interval: the family has been revoked. */
  | { kind: 'reused' }
  | { kind: 'invalid' };

export interface RefreshTokenStore {
  /** Creates a family with its first token. */
  createFamily(family: Omit<RefreshFamily, 'status' | 'revokedAt'>, first: Omit<RefreshToken, 'familyId' | 'status' | 'rotatedAt'>): Promise<void>;
  find(hash: string): Promise<RefreshTokenRecord | undefined>;
  /**
   * One compare-and-set: if `hash` is active (and unexpired, family active) mark it rotated and insert `successor`.
   * If it was already rotated less than `reuseInterval` seconds ago, rotate again (the previous successor is revoked).
   * Otherwise a rotated token is reuse: revoke the whole family.
   */
  rotate(hash: string, successor: Omit<RefreshToken, 'familyId' | 'status' | 'rotatedAt'>, now: number, reuseInterval: number): Promise<RotateOutcome>;
  /**
   * Revocations below also write a 'family' change per family they revoke, in the same transaction, so every
   * node's revoked-family set (oauth/revoked-families.ts) learns of it; rotate() does too when it detects reuse.
   * An installation's families end with its revocation (InstallationStore.update), a client's with its deletion
   * (ClientStore.delete), in those transactions.
   */
  revokeFamily(familyId: string, now: number): Promise<boolean>;
  /**
   * Binds a family that is still unbound to `confirmation` (RFC 9449 §5: a public client's family started without a
   * proof, refreshed with one), as a compare-and-set: only a null confirmation changes. Returns the family's
   * confirmation afterwards (this one, or the one a concurrent request set first; null for an unknown family).
   */
  bindFamily(familyId: string, confirmation: Confirmation): Promise<Confirmation | null>;
  getFamily(familyId: string): Promise<RefreshFamily | undefined>;
  /**
   * A user's families (active and revoked) by family id, after `after`, each with when a refresh token of it was
   * last issued (at login or refresh; null once its tokens have been purged).
   */
  listFamiliesByUser(userId: string, opts?: { limit?: number; after?: string }): Promise<Array<RefreshFamily & { lastUsedAt: number | null }>>;
  revokeByUser(userId: string, now: number): Promise<number>;
  /** A client's families, as listFamiliesByUser lists a user's. */
  listFamiliesByClient(clientId: string, opts?: { limit?: number; after?: string }): Promise<Array<RefreshFamily & { lastUsedAt: number | null }>>;
  /** Revokes every active family of a client, one 'family' change each, in one transaction; returns how many. */
  revokeByClient(clientId: string, now: number): Promise<number>;
  /** The families revoked after `since` (revoked_at > since), with when: what a starting node must know. */
  listRevokedFamilies(since: number): Promise<Array<{ familyId: string; revokedAt: number }>>;
  deleteExpired(now: number): Promise<number>;
}

export interface AccessTokenRecord {
  hash: string;
  jti: string;
  clientId: string;
  subject: string;
  userId: string | null;
  orgId: string | null;
  familyId: string | null;
  scope: string[];
  audience: string[];
  claims: Record<string, unknown> | null;
  issuedAt: number;
  expiresAt: number;
}

/** Opaque (reference) access tokens and the JWT revocation denylist. */
export interface AccessTokenStore {
  insertOpaque(record: AccessTokenRecord): Promise<void>;
  findOpaque(hash: string): Promise<AccessTokenRecord | undefined>;
  deleteOpaque(hash: string): Promise<boolean>;
  /** Deletes the opaque tokens issued from a refresh-token family (the family was revoked). Returns how many. */
  deleteOpaqueByFamily(familyId: string): Promise<number>;
  /** JWT revocation: remember the jti until the token would have expired anyway. */
  denyJti(jti: string, clientId: string, expiresAt: number): Promise<void>;
  isJtiDenied(jti: string): Promise<boolean>;
  listDeniedJtis(now: number): Promise<Array<{ jti: string; expiresAt: number }>>;
  deleteExpired(now: number): Promise<number>;
}

/** Single-use values (client-assertion jti, request-signature nonces) remembered until they expire. */
export interface ReplayStore {
  /** True when newly remembered, false when already seen (a replay). */
  remember(key: string, expiresAt: number): Promise<boolean>;
  deleteExpired(now: number): Promise<number>;
}

export interface Organization {
  id: string;
  name: string;
  status: Status;
  /** Operator data claim templates may reference (`{{org.metadata.tier}}`); bounded (admin/metadata.ts). */
  metadata?: Record<string, unknown> | null;
  createdAt: number;
  updatedAt: number;
  /** 1 on creation, incremented by every update: what a compare-and-set write (ifVersion) compares. */
  version: number;
}

export interface OrganizationStore {
  get(id: string): Promise<Organization | undefined>;
  list(opts?: { limit?: number; after?: string }): Promise<Organization[]>;
  create(org: Omit<Organization, 'createdAt' | 'updatedAt' | 'version'>): Promise<Organization>;
  /**
   * The updated organisation, or undefined when it does not exist. With `ifVersion`, a compare-and-set in one
   * statement: one whose version is another throws VersionConflictError and nothing is written.
   */
  update(id: string, patch: Partial<Pick<Organization, 'name' | 'status' | 'metadata'>>, cond?: IfVersion): Promise<Organization | undefined>;
  /**
   * Deletes an organisation in one transaction: 'missing' when there is none; 'has_installations' (nothing
   * deleted) when it has installations and `withInstallations` is false; else its installations go with it, their
   * refresh-token families revoked, and every deleted record is published on the change feed. With `ifVersion`,
   * an organisation whose version is another throws VersionConflictError and nothing is deleted.
   */
  delete(id: string, opts: { withInstallations: boolean } & IfVersion): Promise<'deleted' | 'missing' | 'has_installations'>;
}

export interface Installation {
  id: string;
  orgId: string;
  clientId: string;
  scope: string[];
  status: 'active' | 'revoked';
  createdAt: number;
  approvedAt: number | null;
  revokedAt: number | null;
  /** Operator data claim templates may reference (`{{installation.metadata.plan}}`); bounded (admin/metadata.ts). */
  metadata?: Record<string, unknown> | null;
  /** 1 on creation, incremented by every update: what a compare-and-set write (ifVersion) compares. */
  version: number;
}

export interface InstallationStore {
  get(id: string): Promise<Installation | undefined>;
  find(orgId: string, clientId: string): Promise<Installation | undefined>;
  list(opts?: { orgId?: string; clientId?: string }): Promise<Installation[]>;
  create(inst: Omit<Installation, 'createdAt' | 'version'>): Promise<Installation>;
  /**
   * The updated installation, or undefined when it does not exist. With `ifVersion`, a compare-and-set in one
   * statement: one whose version is another throws VersionConflictError and nothing is written.
   */
  update(id: string, patch: Partial<Pick<Installation, 'scope' | 'status' | 'approvedAt' | 'revokedAt' | 'metadata'>>, cond?: IfVersion): Promise<Installation | undefined>;
  /**
   * Deletes an installation, revoking its refresh-token families in the same transaction; false when missing.
   * With `ifVersion`, VersionConflictError when it changed (nothing deleted, nothing revoked).
   */
  delete(id: string, cond?: IfVersion): Promise<boolean>;
}

export interface IdentityProvider {
  name: string;
  type: 'oidc' | 'introspection' | 'jwt_bearer';
  /** Type-specific settings, validated by the federation module. */
  config: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  /** 1 on creation, incremented by every update: what a compare-and-set write (ifVersion) compares. */
  version: number;
}

export type NewIdentityProvider = Omit<IdentityProvider, 'createdAt' | 'updatedAt' | 'version'>;

export interface IdentityProviderStore {
  get(name: string): Promise<IdentityProvider | undefined>;
  list(): Promise<IdentityProvider[]>;
  /** Adds a provider; ConflictError when the name is taken (on any node: the primary key decides). */
  create(idp: NewIdentityProvider): Promise<IdentityProvider>;
  /** Adds or replaces a provider (the import document, `tessera idp add`); a replacement increments the version. */
  upsert(idp: NewIdentityProvider): Promise<IdentityProvider>;
  /**
   * Replaces the type and settings of an existing provider; undefined when it does not exist. With `ifVersion`, a
   * compare-and-set in one statement: a provider whose version is another throws VersionConflictError.
   */
  update(idp: NewIdentityProvider, cond?: IfVersion): Promise<IdentityProvider | undefined>;
  /** False when it does not exist; with `ifVersion`, VersionConflictError when it changed (nothing deleted). */
  delete(name: string, cond?: IfVersion): Promise<boolean>;
}

export interface UserLink {
  provider: string;
  subject: string;
  userId: string;
  createdAt: number;
}

export interface UserLinkStore {
  get(provider: string, subject: string): Promise<UserLink | undefined>;
  create(link: Omit<UserLink, 'createdAt'>): Promise<UserLink>;
  listForUser(userId: string): Promise<UserLink[]>;
}

/** Topics of the change feed that per-node caches follow. */
export type ChangeTopic = 'client' | 'key' | 'user' | 'jti' | 'installation' | 'org' | 'idp' | 'api_key' | 'family';

export interface Change {
  seq: number;
  topic: ChangeTopic;
  key: string;
  at: number;
}

/**
 * An outbox of changes, written in the same transaction as the change itself. Every node (and a CLI in
 * another process) can follow it to invalidate caches; Redis pub/sub only makes it faster.
 */
export interface ChangeFeed {
  latest(): Promise<number>;
  since(seq: number, limit?: number): Promise<Change[]>;
  prune(olderThan: number): Promise<number>;
  /**
   * Calls listener after this process commits a mutation that wrote a change (used to nudge other nodes over
   * Redis pub/sub). Returns the unsubscribe function. Changes made by other processes are only seen by since().
   */
  onCommit(listener: () => void): () => void;
}

/**
 * One security event as the audit trail stores it (observability/events.ts builds them; the store only keeps
 * them). `id` sorts by time (it is the cursor); `time` is milliseconds since the epoch.
 */
export interface StoredEvent {
  id: string;
  time: number;
  type: string;
  clientId: string | null;
  subject: string | null;
  address: string | null;
  requestId: string | null;
  actor: { kind: string; id: string } | null;
  details: Record<string, unknown>;
}

export interface EventQuery {
  type?: string;
  clientId?: string;
  subject?: string;
  /** Milliseconds, inclusive. */
  since?: number;
  /** Milliseconds, exclusive. */
  until?: number;
  /** Only events with an id greater than this one (the previous page's last id, or a follower's position). */
  after?: string;
  limit?: number;
}

/** The audit trail: written in batches off the request (observability/audit-store-sink.ts), read by id order. */
export interface EventStore {
  /** Inserts a batch in one statement per few hundred rows; an id already stored is skipped (a retried batch). */
  insertMany(events: readonly StoredEvent[]): Promise<void>;
  /** Matching events in id (= time) order, oldest first, after `after`. */
  query(q: EventQuery): Promise<StoredEvent[]>;
  /** Retention: deletes the events older than `before` (ms); returns how many. */
  deleteOlderThan(before: number): Promise<number>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly clients: ClientStore;
  readonly apiKeys: ApiKeyStore;
  readonly clientRegistrations: ClientRegistrationStore;
  readonly keys: KeyStore;
  readonly users: UserStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly accessTokens: AccessTokenStore;
  readonly replay: ReplayStore;
  readonly organizations: OrganizationStore;
  readonly installations: InstallationStore;
  readonly identityProviders: IdentityProviderStore;
  readonly userLinks: UserLinkStore;
  readonly changes: ChangeFeed;
  readonly events: EventStore;
  /** Cheap liveness query for /readyz. */
  ping(): Promise<void>;
  /** Runs fn in one transaction (used by import so a document is applied whole or not at all). */
  transaction<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
