import { hash } from 'node:crypto';

/**
 * Tokens are stored only as SHA-256 hashes (hex). A 256-bit random token needs no salt or slow KDF. One-shot
 * crypto.hash, not a Hash object: every refresh, opaque-token issue and opaque introspection hashes once or
 * twice, and the object costs ~4x the one-shot call (secret-verifier.ts measures the same).
 */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}
