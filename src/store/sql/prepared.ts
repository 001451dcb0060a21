import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { SqlContext } from './context.js';

/** Stands in for the i-th argument while a prepared query is built; found again by identity in the parameters. */
class Param {
  constructor(readonly index: number) {}
}

interface Compiled {
  query: CompiledQuery;
  /** For each SQL parameter: the argument it takes, or -1 for a constant baked into the query. */
  slots: number[];
}

/**
 * A query built and compiled by Kysely once per dialect, then executed with new argument values. Building and
 * compiling a query costs 20-40 µs (more for aliased selects), executing a compiled one ~2 µs over the driver:
 * on the refresh path that was most of the server's CPU (docs/benchmarks.md). `build` receives placeholders
 * for the arguments and may use them only as plain values (never in IN lists, never inspected), so the SQL text
 * is identical for every call; PostgreSQL's named prepared statements (postgres/prepared.ts) then also apply.
 */
export function prepared<A extends readonly unknown[], R>(arity: A['length'], build: (ctx: SqlContext, ...args: { [K in keyof A]: A[K] }) => Compilable<R>): (ctx: SqlContext, ...args: A) => Promise<QueryResult<R>> {
  const byDialect = new Map<string, Compiled>();
  const compile = (ctx: SqlContext): Compiled => {
    const params = Array.from({ length: arity }, (_, i) => new Param(i));
    const query = build(ctx, ...(params as unknown as { [K in keyof A]: A[K] })).compile();
    const slots = query.parameters.map((p) => (p instanceof Param ? p.index : -1));
    for (let i = 0; i < arity; i++) if (!slots.includes(i)) throw new Error(`prepared query: argument ${i} does not reach the SQL`);
    return { query, slots };
  };
  return (ctx, ...args) => {
    let c = byDialect.get(ctx.dialect);
    if (!c) {
      c = compile(ctx);
      byDialect.set(ctx.dialect, c);
    }
    const { query, slots } = c;
    // An absent value is SQL NULL (Kysely would drop an undefined column from an insert instead).
    const parameters = slots.map((slot, i) => (slot === -1 ? query.parameters[i] : (args[slot] ?? null)));
    return ctx.db.executeQuery<R>({ ...query, parameters });
  };
}
