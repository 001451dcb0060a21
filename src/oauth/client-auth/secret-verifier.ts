import { createHash, randomBytes, type Hash } from 'node:crypto';
import type { Client } from '../../store/types.js';
import { getDummyHash, verifySecret } from '../../crypto/password-hash.js';

/**
 * Verifies client secrets against their argon2id hash, remembering successes so the hot path pays the KDF once
 * per (client, secret) per process. The cache key is SHA-256 over a random per-process key followed by the
 * client id, the stored hash and the presented secret: the cache never holds anything from which a secret could
 * be recovered, and a rotated secret invalidates its entries by construction. (A keyed prefix hash rather than
 * HMAC: half the cost per request, and length extension does not apply because the keys never leave the
 * process and are only compared for equality.)
 */
export class SecretVerifier {
  /** SHA-256 state after absorbing the per-process key; copied per lookup instead of re-absorbing it. */
  private readonly keyed: Hash = createHash('sha256').update(randomBytes(64));
  private readonly verified = new Set<string>();

  constructor(private readonly maxEntries = 100_000) {}

  private cacheKey(client: Client, presented: string): string {
    return this.keyed.copy().update(`${client.clientId}\0${client.secretHash ?? ''}\0${presented}`).digest('latin1');
  }

  /** True when this secret already verified for this client (and its current hash): no KDF, no promise. */
  remembered(client: Client, presented: string): boolean {
    return client.secretHash !== null && this.verified.has(this.cacheKey(client, presented));
  }

  async verify(client: Client | undefined, presented: string): Promise<boolean> {
    if (!client || !client.secretHash) {
      // Unknown client or no secret: spend the same KDF time so timing does not reveal whether the id exists.
      await verifySecret(await getDummyHash(), presented);
      return false;
    }
    const key = this.cacheKey(client, presented);
    if (this.verified.has(key)) return true;
    const ok = await verifySecret(client.secretHash, presented);
    if (ok) {
      if (this.verified.size >= this.maxEntries) this.verified.clear();
      this.verified.add(key);
    }
    return ok;
  }
}
