import type { ClientStore } from '../../store/types.js';
import { secretId } from '../../crypto/secret-id.js';

/** How often one secret of one client was used on this node, and when last (Unix seconds). */
export interface SecretUse {
  readonly clientId: string;
  /** The secret's public id (crypto/secret-id.ts). */
  readonly secretId: string;
  /** The stored hash it verified against (never shown; it keys the flush to the right slot). */
  readonly secretHash: string;
  uses: number;
  lastUsedAt: number;
  /** lastUsedAt as last written to the store. */
  flushedAt: number;
}

/**
 * Per-node counters of client-secret use: the token path does two plain assignments per authentication (no
 * event, no database write; DESIGN.md "Operating it"). `snapshot()` is the plain object a metrics exporter reads
 * (tessera_client_secret_used_total{client_id,secret_id}); `flush()` writes each secret's last use to the store
 * about once a minute (http/server.ts), which is what the admin API and `tessera client show` report.
 */
export class SecretUsage {
  private readonly byKey = new Map<string, SecretUse>();

  /** The counter of one (client, stored hash) pair, made on first verification (not on the cached path). */
  entry(clientId: string, secretHash: string): SecretUse {
    const key = `${clientId}\0${secretHash}`;
    let use = this.byKey.get(key);
    if (use === undefined) {
      use = { clientId, secretId: secretId(secretHash), secretHash, uses: 0, lastUsedAt: 0, flushedAt: 0 };
      this.byKey.set(key, use);
    }
    return use;
  }

  /** client_id -> secret_id -> { uses, last_used_at } as this node counted them since it started. */
  snapshot(): Record<string, Record<string, { uses: number; last_used_at: number }>> {
    const out: Record<string, Record<string, { uses: number; last_used_at: number }>> = {};
    for (const u of this.byKey.values()) {
      if (u.uses === 0) continue;
      (out[u.clientId] ??= {})[u.secretId] = { uses: u.uses, last_used_at: u.lastUsedAt };
    }
    return out;
  }

  /** Writes every last use not yet written; a failed write is retried on the next flush. */
  async flush(clients: Pick<ClientStore, 'recordSecretUse'>): Promise<void> {
    for (const u of this.byKey.values()) {
      if (u.lastUsedAt <= u.flushedAt) continue;
      const at = u.lastUsedAt;
      await clients.recordSecretUse(u.clientId, u.secretHash, at);
      u.flushedAt = at;
    }
  }

  /**
   * Bounds memory: forgets counters whose last use is already in the store. Only when nothing else holds them
   * (the verifier calls it right after clearing its cache), so no counter is incremented after it is forgotten.
   */
  trim(): void {
    for (const [key, u] of this.byKey) if (u.lastUsedAt <= u.flushedAt) this.byKey.delete(key);
  }
}
