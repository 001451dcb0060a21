/** Refresh-token families, access-token records, the JWT denylist and single-use values (replay). */

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

/** Single-use values (DPoP proof jti, client-assertion jti, request-signature nonces) remembered until they expire. */
export interface ReplayStore {
  /** True when newly remembered, false when already seen (a replay). */
  remember(key: string, expiresAt: number): Promise<boolean>;
  deleteExpired(now: number): Promise<number>;
}
