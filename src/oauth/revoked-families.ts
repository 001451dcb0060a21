import type { Store } from '../store/types.js';

/**
 * Refresh-token families revoked recently enough that one of their access tokens may still be unexpired, held in
 * memory on every node so introspection decides "revoked family" with one Map lookup and no database read.
 *
 * An opaque access token can be deleted with its family; a JWT cannot be recalled, so its family id travels in
 * the token (`sid`, oauth/access-tokens/jwt.ts) and introspection answers inactive while the family is in this set
 * (RFC 9700 §4.14.2: reuse revokes the family; RFC 7009 §2.1: revoking a refresh token MAY revoke its access
 * tokens, and Tessera does). The store records every revocation with a 'family' change in the same
 * transaction, so other nodes add() it from the change feed; a starting node load()s it from the families table.
 *
 * An entry is kept for the longest access-token lifetime (every token of the family was issued before the
 * revocation, so none outlives it) plus a margin for clock skew between nodes and for a refresh whose
 * rotation won just before the revocation and whose access token was signed just after.
 */
export class RevokedFamilies {
  /** familyId -> when the entry may go (Unix seconds). */
  private readonly families = new Map<string, number>();
  /** How long an entry is kept after the revocation, seconds. */
  readonly keepSeconds: number;

  static readonly MARGIN_SECONDS = 60;

  constructor(
    private readonly store: Store,
    maxAccessTokenTtl: number,
  ) {
    this.keepSeconds = maxAccessTokenTtl + RevokedFamilies.MARGIN_SECONDS;
  }

  async load(now: number): Promise<void> {
    for (const { familyId, revokedAt } of await this.store.refreshTokens.listRevokedFamilies(now - this.keepSeconds)) {
      this.families.set(familyId, revokedAt + this.keepSeconds);
    }
  }

  /** Called for a revocation made here or learnt from the change feed (both may arrive: idempotent). */
  add(familyId: string, now: number): void {
    const until = now + this.keepSeconds;
    if ((this.families.get(familyId) ?? 0) < until) this.families.set(familyId, until);
  }

  has(familyId: string): boolean {
    return this.families.has(familyId);
  }

  get size(): number {
    return this.families.size;
  }

  sweep(now: number): void {
    for (const [familyId, until] of this.families) if (until < now) this.families.delete(familyId);
  }
}
