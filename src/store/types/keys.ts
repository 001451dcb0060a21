/** Token-signing keys and their schedule (docs/lifecycle.md). */

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
