/**
 * When a refresh token or its family is live: its status is 'active' and its `expires_at` (the token's idle end,
 * the family's absolute end) is still ahead (RFC 9700 §4.14.2, RFC 6749 §6). The rule for a row already read;
 * sql/rotation/liveness.ts renders the same rule into the rotation statements, from the same status.
 */
export const LIVE_STATUS = 'active';

export function isLive(row: { status: string; expiresAt: number }, now: number): boolean {
  return row.status === LIVE_STATUS && row.expiresAt > now;
}
