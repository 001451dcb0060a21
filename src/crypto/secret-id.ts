import { hash } from 'node:crypto';

/**
 * A client secret's short public name: the first 8 hex digits of SHA-256 over its stored argon2id hash (a hash
 * of the hash). It names which of a client's secrets was used or is meant (admin API, CLI, events, metrics)
 * without revealing anything about the secret: the stored hash is salted and slow, and only 32 bits of a digest
 * of it are shown. Derived, not stored, so secrets set before ids existed have one too.
 */
export function secretId(secretHash: string): string {
  return hash('sha256', secretHash, 'hex').slice(0, 8);
}
