import { hash, randomBytes } from 'node:crypto';
import type { Client } from '../../store/types.js';
import { getDummyHash } from '../../crypto/password-hash.js';
import { verifyFromAddress } from '../kdf-admission.js';

/**
 * Verifies client secrets against their argon2id hash, remembering successes so the hot path pays the KDF once
 * per (client, secret) per process. The cache key is SHA-256 over a random per-process key followed by the
 * client id and the presented secret, and the entry holds the stored hash the secret verified against: the cache
 * never holds anything from which a secret could be recovered, and a rotated secret (a new stored hash) misses
 * by construction. One-shot crypto.hash over a keyed prefix rather than HMAC or a Hash object: a quarter of the
 * cost per request (~0.6 us against ~2.3), and length extension does not apply because the keys never leave the
 * process and are only compared for equality.
 */
export class SecretVerifier {
  /** The per-process key, prefixed to every input; as base64 text, which crypto.hash encodes on its fast path. */
  private readonly key = randomBytes(32).toString('base64');
  /** cache key -> the stored secret hash the secret verified against. */
  private readonly verified = new Map<string, string>();
  /** cache key -> the check running now, and the stored hash it runs against ('' for the dummy check). */
  private readonly running = new Map<string, { against: string; result: Promise<boolean> }>();

  /** Throttled checks in flight (coalesce), by the same kind of keyed hash (never the secret itself). */
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(private readonly maxEntries = 100_000) {}

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

  /** True when this secret already verified for this client (and its current hash): no KDF, no promise. */
  remembered(client: Client, presented: string): boolean {
    return client.secretHash !== null && this.verified.get(this.cacheKey(client.clientId, presented)) === client.secretHash;
  }

  /**
   * Checks `presented` for the client `clientId` (`client`: its record, undefined when unknown). `address` is the
   * request's source address: the KDF is admitted per address (kdf-admission.ts), and a refusal throws the same
   * 429 / 503 for an unknown client as for a known one. Concurrent checks of the same (client id, secret) share
   * one KDF, for unknown and known clients alike: a burst of a client's first requests on a cold process costs
   * one KDF rather than one each (which the per-address share would refuse), and an unknown client still behaves
   * exactly as a known one with a wrong secret. A shared KDF is not withdrawn when a requester goes (unlike a
   * password login's, kdf-admission.ts): others may have joined it, and it holds one share however many wait.
   */
  verify(clientId: string, client: Client | undefined, presented: string, address: string): Promise<boolean> {
    const key = this.cacheKey(clientId, presented);
    const stored = client?.secretHash ?? null;
    if (stored !== null && this.verified.get(key) === stored) return Promise.resolve(true);
    const against = stored ?? '';
    const pending = this.running.get(key);
    if (pending !== undefined && pending.against === against) return pending.result;
    const result = this.check(key, stored, presented, address).finally(() => {
      if (this.running.get(key)?.result === result) this.running.delete(key);
    });
    this.running.set(key, { against, result });
    return result;
  }

  private async check(key: string, stored: string | null, presented: string, address: string): Promise<boolean> {
    if (stored === null) {
      // Unknown client or no secret: spend the same KDF time so timing does not reveal whether the id exists.
      await verifyFromAddress(address, await getDummyHash(), presented);
      return false;
    }
    const ok = await verifyFromAddress(address, stored, presented);
    if (ok) {
      if (this.verified.size >= this.maxEntries) this.verified.clear();
      this.verified.set(key, stored);
    }
    return ok;
  }
}
