import { hash, timingSafeEqual } from 'node:crypto';

/**
 * Tokens are stored only as SHA-256 hashes (hex). A 256-bit random token needs no salt or slow KDF. One-shot
 * crypto.hash, not a Hash object: every refresh, opaque-token issue and opaque introspection hashes once or
 * twice, and the object costs ~4x the one-shot call (secret-verifier.ts measures the same).
 */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    // Still spend a comparison so the length mismatch is not a faster path.
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
