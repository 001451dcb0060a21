import { createHmac, randomBytes } from 'node:crypto';
import type { Client } from '../../store/types.js';
import { getDummyHash, verifySecret } from '../../crypto/password-hash.js';

/**
 * Verifies client secrets against their argon2id hash, remembering successes so the hot path pays the KDF once
 * per (client, secret) per process. The cache key is an HMAC under a random per-process key, so the cache
 * never holds anything from which a secret could be recovered, and it includes the stored hash, so a rotated
 * secret invalidates its entries by construction.
 */
export class SecretVerifier {
  private readonly hmacKey = randomBytes(32);
  private readonly verified = new Set<string>();

  constructor(private readonly maxEntries = 100_000) {}

  private cacheKey(client: Client, presented: string): string {
    return createHmac('sha256', this.hmacKey).update(`${client.clientId}\0${client.secretHash ?? ''}\0${presented}`).digest('base64url');
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
