import type { Kysely, Transaction } from 'kysely';
import type { ChangeTopic } from '../types.js';
import type { Database } from './schema.js';
import type { Dialect } from './dialect.js';

/**
 * What every aggregate store shares: the query handle (a pool or an open transaction), the dialect, and the
 * change-feed writer. Mutations run in a transaction with their change record, so a follower never misses one.
 */
export class SqlContext {
  constructor(
    readonly db: Kysely<Database> | Transaction<Database>,
    readonly dialect: Dialect,
    readonly inTransaction: boolean,
  ) {}

  async tx<T>(fn: (ctx: SqlContext) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return (this.db as Kysely<Database>).transaction().execute((trx) => fn(new SqlContext(trx, this.dialect, true)));
  }

  async change(topic: ChangeTopic, key: string, at: number): Promise<void> {
    await this.db.insertInto('changes').values({ topic, key, at }).execute();
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
