import { sha256Hex } from './encoding.js';

interface Entry<T> {
  value: T;
  until: number;
}

/**
 * Active introspection results keyed by the SHA-256 of the token (the raw token is never a key in memory we
 * keep), each until min(token exp, now + cap). Bounded: the oldest entries go first. Concurrent lookups of the
 * same token share one introspection request.
 */
export class IntrospectionCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly pending = new Map<string, Promise<T>>();

  constructor(
    private readonly capSeconds: number,
    private readonly maxEntries: number,
  ) {}

  async get(token: string, load: () => Promise<{ value: T; exp: number | undefined; cacheable: boolean }>): Promise<T> {
    const key = await sha256Hex(token);
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    if (hit) this.entries.delete(key);
    const inflight = this.pending.get(key);
    if (inflight) return inflight;
    const p = load()
      .then(({ value, exp, cacheable }) => {
        const until = Math.min(exp === undefined ? Infinity : exp * 1000, Date.now() + this.capSeconds * 1000);
        if (cacheable && this.capSeconds > 0 && until > Date.now()) this.put(key, { value, until });
        return value;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }

  private put(key: string, entry: Entry<T>): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
