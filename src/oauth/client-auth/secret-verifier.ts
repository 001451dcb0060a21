import { hash, randomBytes } from 'node:crypto';
import type { Client } from '../../store/types.js';
import { getDummyHash } from '../../crypto/password-hash.js';
import { verifyFromAddress } from '../kdf-admission.js';
import { SecretUsage, type SecretUse } from './secret-usage.js';

/** A remembered verification: the stored hash the secret matched, and that secret's use counter. */
interface Verified {
  readonly hash: string;
  readonly use: SecretUse;
}

/**
 * The stored hashes a secret may verify against now: the current secret and the one a rotation kept for an
 * overlap (docs/tokens.md, "Client secret rotation"), each unless its expiry has passed. Expiry is decided here,
 * at use, by the clock of the node: no change-feed record is needed for a secret to stop working on time.
 */
export function liveSecretHashes(client: Client, now: number): string[] {
  const out: string[] = [];
  if (client.secretHash !== null && (client.secretExpiresAt === null || now < client.secretExpiresAt)) out.push(client.secretHash);
  if (client.previousSecretHash !== null && (client.previousSecretExpiresAt === null || now < client.previousSecretExpiresAt)) out.push(client.previousSecretHash);
  return out;
}

/** True when `hash` is one of the client's secrets now (the check of a remembered verification). */
function stillLive(client: Client, stored: string, now: number): boolean {
  if (stored === client.secretHash) return client.secretExpiresAt === null || now < client.secretExpiresAt;
  if (stored === client.previousSecretHash) return client.previousSecretExpiresAt === null || now < client.previousSecretExpiresAt;
  return false;
}

/**
 * Verifies client secrets against their argon2id hashes, remembering successes so the hot path pays the KDF once
 * per (client, secret) per process. The cache key is SHA-256 over a random per-process key followed by the
 * client id and the presented secret, and the entry holds the stored hash the secret verified against: the cache
 * never holds anything from which a secret could be recovered, and every hit is checked against the client's
 * current record (that hash is still its current or kept secret, and not expired), so a rotated, removed or
 * expired secret misses even while cached. With two secrets the cached path is still one map lookup; only the
 * first verification of the kept secret costs a second KDF (the current one is tried first). One-shot
 * crypto.hash over a keyed prefix rather than HMAC or a Hash object: a quarter of the cost per request (~0.6 us
 * against ~2.3), and length extension does not apply because the keys never leave the process and are only
 * compared for equality.
 */
export class SecretVerifier {
  /** The per-process key, prefixed to every input; as base64 text, which crypto.hash encodes on its fast path. */
  private readonly key = randomBytes(32).toString('base64');
  /** cache key -> the stored secret hash the secret verified against, and its use counter. */
  private readonly verified = new Map<string, Verified>();
  /** cache key -> the check running now, and the stored hashes it runs against ('' for the dummy check). */
  private readonly running = new Map<string, { against: string; result: Promise<SecretUse | undefined> }>();

  /** Throttled checks in flight (coalesce), by the same kind of keyed hash (never the secret itself). */
  private readonly inflight = new Map<string, Promise<unknown>>();

  /** Per-secret use counters of this node (secret-usage.ts). */
  readonly usage = new SecretUsage();

  constructor(
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
    private readonly maxEntries = 100_000,
  ) {}

  /**
   * Runs `check` once for identical attempts in flight (same client id, presented secret and scope, e.g. method
   * and address) and gives each the same answer: a client's burst of requests with a secret not yet remembered
   * (after a restart or a rotation) costs one throttle reservation, not one per request. (verify() below shares
   * the KDF itself across addresses.)
   */
  coalesce<T>(clientId: string, presented: string, scope: string, check: () => Promise<T>): Promise<T> {
    const key = hash('sha256', `${this.key}${clientId.length}:${clientId}\0${scope.length}:${scope}\0${presented}`, 'base64');
    const running = this.inflight.get(key);
    if (running) return running as Promise<T>;
    const settled = check().finally(() => this.inflight.delete(key));
    this.inflight.set(key, settled);
    return settled;
  }

  private cacheKey(clientId: string, presented: string): string {
    // The id's length keeps (id, secret) pairs apart even when an id contains the separator.
    return hash('sha256', `${this.key}${clientId.length}:${clientId}\0${presented}`, 'base64');
  }

  /**
   * The use counter of the secret `presented` matched, when it already verified for this client and that secret
   * is still one of the client's live secrets: no KDF, no promise. Undefined otherwise.
   */
  remembered(client: Client, presented: string): SecretUse | undefined {
    const hit = this.verified.get(this.cacheKey(client.clientId, presented));
    return hit !== undefined && stillLive(client, hit.hash, this.now()) ? hit.use : undefined;
  }

  /**
   * Checks `presented` for the client `clientId` (`client`: its record, undefined when unknown) and resolves the
   * use counter of the secret it matched, or undefined. `address` is the request's source address: the KDF is
   * admitted per address (kdf-admission.ts), and a refusal throws the same 429 / 503 for an unknown client as for
   * a known one. Concurrent checks of the same (client id, secret) share one verification, for unknown and known
   * clients alike: a burst of a client's first requests on a cold process costs one KDF rather than one each
   * (which the per-address share would refuse), and an unknown client still behaves exactly as a known one with
   * a wrong secret. A shared KDF is not withdrawn when a requester goes (unlike a password login's,
   * kdf-admission.ts): others may have joined it, and it holds one share however many wait.
   */
  verify(clientId: string, client: Client | undefined, presented: string, address: string): Promise<SecretUse | undefined> {
    const key = this.cacheKey(clientId, presented);
    const now = this.now();
    const hit = this.verified.get(key);
    if (client !== undefined && hit !== undefined && stillLive(client, hit.hash, now)) return Promise.resolve(hit.use);
    const candidates = client === undefined ? [] : liveSecretHashes(client, now);
    const against = candidates.join('\0');
    const pending = this.running.get(key);
    if (pending !== undefined && pending.against === against) return pending.result;
    const result = this.check(key, clientId, candidates, presented, address).finally(() => {
      if (this.running.get(key)?.result === result) this.running.delete(key);
    });
    this.running.set(key, { against, result });
    return result;
  }

  private async check(key: string, clientId: string, candidates: readonly string[], presented: string, address: string): Promise<SecretUse | undefined> {
    if (candidates.length === 0) {
      // Unknown client or no live secret: spend the same KDF time so timing does not reveal whether the id exists.
      await verifyFromAddress(address, await getDummyHash(), presented);
      return undefined;
    }
    // The current secret first: outside a rotation's overlap it is the only one, so one KDF as before.
    for (const stored of candidates) {
      if (!(await verifyFromAddress(address, stored, presented))) continue;
      if (this.verified.size >= this.maxEntries) {
        this.verified.clear();
        this.usage.trim();
      }
      const use = this.usage.entry(clientId, stored);
      this.verified.set(key, { hash: stored, use });
      return use;
    }
    return undefined;
  }
}
