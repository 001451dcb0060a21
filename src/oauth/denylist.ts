import type { Store } from '../store/types.js';

/**
 * Revoked JWT ids, held in memory on every node so checking one costs a Map lookup. The store keeps the
 * durable copy; other nodes learn of a revocation through the change feed (or Redis) and call add().
 */
export class Denylist {
  private readonly jtis = new Map<string, number>();

  constructor(private readonly store: Store) {}

  async load(now: number): Promise<void> {
    for (const { jti, expiresAt } of await this.store.accessTokens.listDeniedJtis(now)) this.jtis.set(jti, expiresAt);
  }

  async deny(jti: string, clientId: string, expiresAt: number): Promise<void> {
    await this.store.accessTokens.denyJti(jti, clientId, expiresAt);
    this.jtis.set(jti, expiresAt);
  }

  add(jti: string, expiresAt: number): void {
    this.jtis.set(jti, expiresAt);
  }

  has(jti: string): boolean {
    return this.jtis.has(jti);
  }

  sweep(now: number): void {
    for (const [jti, exp] of this.jtis) if (exp < now) this.jtis.delete(jti);
  }
}
