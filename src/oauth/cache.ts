/**
 * A bounded per-process cache of store records, invalidated by key when the change feed reports a change.
 * Misses are not cached: an unknown id costs one indexed lookup (and rate limiting bounds how many).
 */
export class RecordCache<T> {
  private readonly map = new Map<string, T>();
  private readonly inflight = new Map<string, Promise<T | undefined>>();
  private generation = 0;

  constructor(private readonly maxEntries = 100_000) {}

  /** The cached record, without loading: lets hot paths decide a hit without a promise. */
  peek(key: string): T | undefined {
    return this.map.get(key);
  }

  async get(key: string, load: (key: string) => Promise<T | undefined>): Promise<T | undefined> {
    const hit = this.map.get(key);
    if (hit !== undefined) return hit;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const gen = this.generation;
    const p = load(key).then(
      (value) => {
        this.inflight.delete(key);
        // An invalidation that raced the load wins: do not cache what may already be stale.
        if (value !== undefined && gen === this.generation) this.set(key, value);
        return value;
      },
      (err: unknown) => {
        this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, p);
    return p;
  }

  set(key: string, value: T): void {
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, value);
  }

  invalidate(key: string): void {
    this.generation++;
    this.map.delete(key);
  }

  clear(): void {
    this.generation++;
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
