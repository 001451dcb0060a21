import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';

/**
 * A pool for Kysely that runs parameterised statements as NAMED prepared statements: node-postgres parses and
 * plans a named statement once per connection and afterwards only binds and executes it. On a primary-key
 * lookup that saves roughly a third to a half of the round trip (numbers in docs/deployment.md). Kysely emits the same text
 * for the same query shape, so the name is a hash of the text; the number of distinct names is capped so a
 * query with a variable-length IN list cannot grow every connection's statement cache without bound.
 *
 * A schema migration applied by a newer version while this process runs can invalidate a prepared plan
 * ("cached plan must not change result type", 0A000): the statement is then re-run unprepared and the
 * connection is discarded on release, taking its stale statements with it.
 */
export class PreparingPool implements PostgresPool {
  private readonly names = new Map<string, string>();
  private readonly wrapped = new WeakMap<pg.PoolClient, PreparingClient>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly maxNames = 500,
  ) {}

  nameFor(text: string): string | undefined {
    let name = this.names.get(text);
    if (name === undefined && this.names.size < this.maxNames) {
      name = 't' + createHash('sha1').update(text).digest('hex').slice(0, 24);
      this.names.set(text, name);
    }
    return name;
  }

  async connect(): Promise<PostgresPoolClient> {
    const client = await this.pool.connect();
    let w = this.wrapped.get(client);
    if (!w) {
      w = new PreparingClient(client, this);
      this.wrapped.set(client, w);
    }
    return w;
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

function isStalePlan(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '0A000';
}

class PreparingClient {
  private stale = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly pool: PreparingPool,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query(sqlOrCursor: string | PostgresCursor<unknown>, parameters?: ReadonlyArray<unknown>): unknown {
    if (typeof sqlOrCursor !== 'string') return this.client.query(sqlOrCursor as never);
    const values = [...(parameters ?? [])];
    const name = values.length > 0 ? this.pool.nameFor(sqlOrCursor) : undefined;
    if (!name) return this.client.query(sqlOrCursor, values);
    return this.client.query({ name, text: sqlOrCursor, values }).catch((err: unknown) => {
      if (!isStalePlan(err)) throw err;
      this.stale = true;
      return this.client.query(sqlOrCursor, values);
    });
  }

  release(): void {
    this.client.release(this.stale ? true : undefined);
  }
}
