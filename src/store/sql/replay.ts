import type { CompiledQuery } from 'kysely';
import type { ReplayStore } from '../types.js';
import type { SqlContext } from './context.js';

/** The most keys one statement spends (bind parameters: 2 per key + 1, far below both engines' limits). */
const MAX_BATCH = 64;

interface Waiting {
  readonly key: string;
  readonly expiresAt: number;
  readonly settle: (first: boolean) => void;
  readonly fail: (err: unknown) => void;
}

/**
 * Single-use keys (DPoP proof jti, client assertion jti, request-signature nonces; oauth/replay-guard.ts).
 *
 * First use of a key is one statement: insert it, or take over an entry that has expired (it no longer protects
 * anything); a live entry is left alone and not returned. Atomic on both engines (PostgreSQL's ON CONFLICT ...
 * DO UPDATE ... WHERE takes the row lock; SQLite serialises writers), with no transaction.
 *
 * Group commit: the keys asked for during one event-loop turn are spent together, in one multi-row statement
 * whose RETURNING names the keys that were first used. DPoP spends one key per token request, and one
 * statement per key was ~36 µs of the event loop on SQLite (a commit each, docs/benchmarks.md); a batch of n
 * pays the statement and its commit once. A key asked for twice in one batch is spent once; the later asks
 * are replays. The statements are compiled once per batch size (Kysely compiles ~20-40 µs).
 */
export class SqlReplayStore implements ReplayStore {
  private queue: Waiting[] = [];
  private readonly compiled = new Map<string, CompiledQuery>();

  constructor(
    private readonly ctx: SqlContext,
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  remember(key: string, expiresAt: number): Promise<boolean> {
    return new Promise<boolean>((settle, fail) => {
      this.queue.push({ key, expiresAt, settle, fail });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    // The first ask of each key goes to the database; a repeat in the same batch is a replay by definition.
    const first = new Map<string, Waiting>();
    for (const w of batch) {
      if (first.has(w.key)) w.settle(false);
      else first.set(w.key, w);
    }
    const unique = [...first.values()];
    const now = this.clock();
    for (let i = 0; i < unique.length; i += MAX_BATCH) void this.spend(unique.slice(i, i + MAX_BATCH), now);
  }

  private async spend(batch: readonly Waiting[], now: number): Promise<void> {
    try {
      const query = this.statement(batch.length);
      const parameters: unknown[] = [];
      for (const w of batch) parameters.push(w.key, w.expiresAt);
      parameters.push(now);
      const res = await this.ctx.db.executeQuery<{ key: string }>({ ...query, parameters });
      const spent = new Set(res.rows.map((r) => r.key));
      for (const w of batch) w.settle(spent.has(w.key));
    } catch (err) {
      for (const w of batch) w.fail(err);
    }
  }

  /** INSERT of n rows ... ON CONFLICT (key) DO UPDATE ... WHERE expired RETURNING key, compiled once per n. */
  private statement(n: number): CompiledQuery {
    const id = `${this.ctx.dialect}:${n}`;
    let q = this.compiled.get(id);
    if (q === undefined) {
      const rows = Array.from({ length: n }, (_, i) => ({ key: `k${i}`, expires_at: 1000 + i }));
      q = this.ctx.db
        .insertInto('replay')
        .values(rows)
        .onConflict((oc) => oc.column('key').doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') }).where('replay.expires_at', '<', -1))
        .returning('key')
        .compile();
      // The placeholders' order is the rows' (key, expires_at) pairs, then the WHERE's now: checked, not assumed.
      const expected = [...rows.flatMap((r) => [r.key, r.expires_at]), -1];
      if (q.parameters.length !== expected.length || q.parameters.some((p, i) => p !== expected[i])) throw new Error(`replay statement: unexpected parameter order for ${n} keys`);
      this.compiled.set(id, q);
    }
    return q;
  }

  async deleteExpired(now: number): Promise<number> {
    const res = await this.ctx.db.deleteFrom('replay').where('expires_at', '<', now).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
