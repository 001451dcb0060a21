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
  | 'request_signature';

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
  /** RFC 9449 §5.2: every token request must carry a DPoP proof (bearer requests refused). Optional as above. */
  dpopBoundAccessTokens?: boolean;
  status: Status;
  createdAt: number;
  updatedAt: number;
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
export type NewClient = Omit<Client, 'createdAt' | 'updatedAt' | SecretOverlapField> & Partial<Pick<Client, SecretOverlapField>>;
export type ClientPatch = Partial<Omit<Client, 'clientId' | 'createdAt' | 'updatedAt'>>;

export interface ClientStore {
  get(clientId: string): Promise<Client | undefined>;
  list(opts?: { limit?: number; after?: string }): Promise<Client[]>;
  /**
   * The distinct scope values of up to `limit` clients, in storage order (the discovery document's
   * `scopes_supported`): only the scope column is read, so start-up does not walk whole rows of a large store.
   */
  scopeSample(limit: number): Promise<string[]>;
  /** Every origin in any client's allowed_origins, distinct (the CORS preflight index, oauth/cors-origins.ts). */
  allowedOrigins(): Promise<string[]>;
  create(client: NewClient): Promise<Client>;
  /**
   * Returns the updated client, or undefined when it does not exist. With `ifSecretHash` the update is a
   * compare-and-set: it applies only while the current secret hash is that value (null: no secret), and
   * undefined also means another writer changed the secret meanwhile.
   */
  update(clientId: string, patch: ClientPatch, opts?: { ifSecretHash?: string | null }): Promise<Client | undefined>;
  /**
   * Records that the secret with this hash (current or previous) was used at `at`, unless a later use is already
   * recorded. No change-feed record and no updated_at change: this is usage bookkeeping, not a setting, and the
   * token path never reads it. A hash the client no longer holds is ignored.
   */
  recordSecretUse(clientId: string, secretHash: string, at: number): Promise<void>;
  delete(clientId: string): Promise<boolean>;
  count(): Promise<number>;
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
  status: 'active' | 'retired';
  publicJwk: Record<string, unknown>;
  /** The private key (PKCS#8 DER) sealed with AES-256-GCM under the master key. */
  privateKeyEncrypted: string;
  createdAt: number;
  retiredAt: number | null;
  /** Stays in the JWKS until this time (every token it signed has expired by then). */
  publishUntil: number | null;
}

export interface KeyStore {
  /** Active keys first, then newest first. */
  list(): Promise<SigningKey[]>;
  insert(key: Omit<SigningKey, 'createdAt'> & { createdAt?: number }): Promise<SigningKey>;
  /** Atomically: retire every active key (publish until the given time) and insert the new active one. */
  rotate(newKey: Omit<SigningKey, 'createdAt' | 'status' | 'retiredAt' | 'publishUntil'>, publishUntil: number): Promise<SigningKey>;
  /**
   * Inserts key as the active key unless one exists, atomically across processes (several nodes starting on a
   * fresh database create one first key, not one each). True when this call inserted it.
   */
  insertFirstActive(key: Omit<SigningKey, 'createdAt' | 'status' | 'retiredAt' | 'publishUntil'>): Promise<boolean>;
  deleteExpired(now: number): Promise<number>;
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
  createdAt: number;
  updatedAt: number;
}

export type NewUser = Omit<User, 'createdAt' | 'updatedAt'>;
export type UserPatch = Partial<Omit<User, 'id' | 'createdAt' | 'updatedAt'>>;

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
  update(id: string, patch: UserPatch): Promise<User | undefined>;
  delete(id: string): Promise<boolean>;
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
  createdAt: number;
  updatedAt: number;
}

export interface OrganizationStore {
  get(id: string): Promise<Organization | undefined>;
  list(opts?: { limit?: number; after?: string }): Promise<Organization[]>;
  create(org: Omit<Organization, 'createdAt' | 'updatedAt'>): Promise<Organization>;
  update(id: string, patch: Partial<Pick<Organization, 'name' | 'status'>>): Promise<Organization | undefined>;
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
}

export interface InstallationStore {
  get(id: string): Promise<Installation | undefined>;
  find(orgId: string, clientId: string): Promise<Installation | undefined>;
  list(opts?: { orgId?: string; clientId?: string }): Promise<Installation[]>;
  create(inst: Omit<Installation, 'createdAt'>): Promise<Installation>;
  update(id: string, patch: Partial<Pick<Installation, 'scope' | 'status' | 'approvedAt' | 'revokedAt'>>): Promise<Installation | undefined>;
}

export interface IdentityProvider {
  name: string;
  type: 'oidc' | 'introspection' | 'jwt_bearer';
  /** Type-specific settings, validated by the federation module. */
  config: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface IdentityProviderStore {
  get(name: string): Promise<IdentityProvider | undefined>;
  list(): Promise<IdentityProvider[]>;
  upsert(idp: Omit<IdentityProvider, 'createdAt' | 'updatedAt'>): Promise<IdentityProvider>;
  delete(name: string): Promise<boolean>;
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
