/**
 * Runs async work one at a time per key (a promise chain per key, dropped when idle). The password grant runs the
 * attempts of one (username, address) pair through it: the login throttle counts an attempt in flight as a
 * failure until it is decided (so parallel guesses cannot slip past it), and without the queue a user's own
 * parallel logins beyond the pair's allowance would be refused as "too many failed attempts" while every one of
 * them was right. Queued, they are checked one after another, each seeing the outcome of the one before.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous ? previous.then(() => done) : done;
    this.tails.set(key, tail);
    try {
      if (previous) await previous;
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with work running or queued (for tests and metrics). */
  get size(): number {
    return this.tails.size;
  }
}
