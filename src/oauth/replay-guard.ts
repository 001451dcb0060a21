import type { Store } from '../store/types.js';

/** Single-use values (client assertion jti, request nonces): the store by default, Redis when configured. */
export interface ReplayGuard {
  /** True the first time a key is seen before it expires; false for a replay. */
  firstUse(key: string, expiresAt: number): Promise<boolean>;
}

export class StoreReplayGuard implements ReplayGuard {
  constructor(private readonly store: Store) {}
  firstUse(key: string, expiresAt: number): Promise<boolean> {
    return this.store.replay.remember(key, expiresAt);
  }
}
