import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { LIVE_STATUS } from '../../liveness.js';

/**
 * When a refresh token may rotate: the token is live and so is its family (RFC 9700 §4.14.2, RFC 6749 §6). A row
 * of `refresh_tokens` or `refresh_families` is live while its status is 'active' and its `expires_at` (the
 * token's idle end, the family's absolute end) is still ahead. Every rotation statement, on either engine, renders
 * it from here; a row already read is judged by `isLive` (store/liveness.ts, the same status).
 */

/** The rule for the row named `alias`, as SQL text before and after its one parameter, `now`. */
function around(alias: string): readonly [before: string, after: string] {
  return [`(${alias}.status = '${LIVE_STATUS}' AND ${alias}.expires_at > `, ')'];
}

/** The rule in raw SQL, `now` being the engine's placeholder text (`?` on SQLite, `$2` on PostgreSQL). */
export function liveSql(alias: string, now: string): string {
  const [before, after] = around(alias);
  return before + now + after;
}

/** The rule as a Kysely expression, `now` bound as a parameter (a prepared query's placeholder too). */
export function liveExpression(alias: string, now: number): RawBuilder<SqlBool> {
  const [before, after] = around(alias);
  return sql<SqlBool>`${sql.raw(before)}${now}${sql.raw(after)}`;
}

export { isLive } from '../../liveness.js';
