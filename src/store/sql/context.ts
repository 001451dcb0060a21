import type { Kysely, Transaction } from 'kysely';
import type { ChangeTopic } from '../types.js';
import type { Database } from './schema.js';
import type { Dialect } from './dialect.js';

/**
 * What every aggregate store shares: the query handle (a pool or an open transaction), the dialect, and the
 * change-feed writer. Mutations run in a transaction with their change record, so a follower never misses one.
 */
export class SqlContext {
  /** Set inside a transaction once it has written a change row; the signal fires after the commit. */
  private wroteChange = false;

  constructor(
    readonly db: Kysely<Database> | Transaction<Database>,
    readonly dialect: Dialect,
    readonly inTransaction: boolean,
    readonly commits: CommitSignal = new CommitSignal(),
  ) {}

  async tx<T>(fn: (ctx: SqlContext) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    let inner: SqlContext | undefined;
    const result = await (this.db as Kysely<Database>).transaction().execute((trx) => fn((inner = new SqlContext(trx, this.dialect, true, this.commits))));
    if (inner?.wroteChange) this.commits.emit();
    return result;
  }

  async change(topic: ChangeTopic, key: string, at: number): Promise<void> {
    await this.db.insertInto('changes').values({ topic, key, at }).execute();
    if (this.inTransaction) this.wroteChange = true;
    else this.commits.emit();
  }

  /** One change per key (a bulk revocation), in multi-row INSERTs of a few hundred rows (bind-parameter limits). */
  async changeMany(topic: ChangeTopic, keys: readonly string[], at: number): Promise<void> {
    if (keys.length === 0) return;
    for (let i = 0; i < keys.length; i += 500) {
      await this.db.insertInto('changes').values(keys.slice(i, i + 500).map((key) => ({ topic, key, at }))).execute();
    }
    if (this.inTransaction) this.wroteChange = true;
    else this.commits.emit();
  }
}

/** In-process listeners told after a change row is committed (see ChangeFeed.onCommit). */
export class CommitSignal {
  private readonly listeners = new Set<() => void>();

  on(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // A listener (a best-effort nudge) must never fail the committed mutation.
      }
    }
  }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function toJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export function fromJson<T>(text: string | null): T | null {
  if (text === null || text === undefined) return null;
  return JSON.parse(text) as T;
}

export function splitScope(text: string): string[] {
  return text === '' ? [] : text.split(' ');
}

export function num(v: number | string | bigint): number {
  return typeof v === 'number' ? v : Number(v);
}

export function numOrNull(v: number | string | bigint | null): number | null {
  return v === null ? null : num(v);
}
