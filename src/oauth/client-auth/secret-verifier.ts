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

  constructor(private readonly maxEntries = 100_000) {}

  private cacheKey(client: Client, presented: string): string {
    // The id's length keeps (id, secret) pairs apart even when an id contains the separator.
    return hash('sha256', `${this.key}${client.clientId.length}:${client.clientId}\0${presented}`, 'base64');
  }

  /** True when this secret already verified for this client (and its current hash): no KDF, no promise. */
  remembered(client: Client, presented: string): boolean {
    return client.secretHash !== null && this.verified.get(this.cacheKey(client, presented)) === client.secretHash;
  }

  /**
   * `address` is the request's source address: the KDF is admitted per address (kdf-admission.ts), and a refusal
   * throws the same 429 / 503 for an unknown client as for a known one.
   */
  async verify(client: Client | undefined, presented: string, address: string): Promise<boolean> {
    if (!client || !client.secretHash) {
      // Unknown client or no secret: spend the same KDF time so timing does not reveal whether the id exists.
      await verifyFromAddress(address, await getDummyHash(), presented);
      return false;
    }
    const key = this.cacheKey(client, presented);
    if (this.verified.get(key) === client.secretHash) return true;
    const ok = await verifyFromAddress(address, client.secretHash, presented);
    if (ok) {
      if (this.verified.size >= this.maxEntries) this.verified.clear();
      this.verified.set(key, client.secretHash);
    }
    return ok;
  }
}
