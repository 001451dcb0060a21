import type { Client } from '../store/types.js';
import { secretId } from '../crypto/secret-id.js';
import { nowSeconds } from './sessions.js';

/** One of a client's secrets as operators see it: never the secret or its hash. */
export interface SecretView {
  secret_id: string;
  /** The current secret (new rotations keep it); false for the one a rotation kept for the overlap. */
  current: boolean;
  /** When it stops working (null: never); an expired secret is listed until the next rotation, marked expired. */
  expires_at: string | null;
  expired: boolean;
  /** The last use any node recorded (nodes flush about once a minute); null when none was recorded. */
  last_used_at: string | null;
}

export const iso = (t: number | null): string | null => (t === null ? null : new Date(t * 1000).toISOString());
export const live = (expiresAt: number | null, now: number): boolean => expiresAt === null || now < expiresAt;

/** The client's secrets, current first (none for a client without one). */
export function describeSecrets(c: Client, now = nowSeconds()): SecretView[] {
  const out: SecretView[] = [];
  if (c.secretHash !== null) {
    out.push({ secret_id: secretId(c.secretHash), current: true, expires_at: iso(c.secretExpiresAt), expired: !live(c.secretExpiresAt, now), last_used_at: iso(c.secretLastUsedAt) });
  }
  if (c.previousSecretHash !== null) {
    out.push({ secret_id: secretId(c.previousSecretHash), current: false, expires_at: iso(c.previousSecretExpiresAt), expired: !live(c.previousSecretExpiresAt, now), last_used_at: iso(c.previousSecretLastUsedAt) });
  }
  return out;
}

