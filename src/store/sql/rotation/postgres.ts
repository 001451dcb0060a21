import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { familyColumns, familyFromRow, tokenColumns, tokenFromRow, type JoinedRow } from '../refresh-rows.js';
import { liveSql } from './liveness.js';
import type { LiveRotation } from './types.js';

/** The rotation in ONE statement: $1 hash, $2 now, $3 successor hash, $4 scope, $5 created, $6 expires. */
const ROTATE_LIVE = `
WITH won AS (
  UPDATE refresh_tokens AS t SET status = 'rotated', rotated_at = $2, successor = $3
  FROM refresh_families AS f
  WHERE t.hash = $1 AND ${liveSql('t', '$2')}
    AND f.family_id = t.family_id AND ${liveSql('f', '$2')}
  RETURNING t.hash, t.family_id, t.status AS t_status, t.scope AS t_scope, t.created_at AS t_created_at,
    t.expires_at AS t_expires_at, t.rotated_at, t.successor, f.client_id, f.subject, f.user_id, f.org_id,
    f.installation_id, f.scope AS f_scope, f.claims, f.audience, f.status AS f_status, f.created_at AS f_created_at,
    f.expires_at AS f_expires_at, f.revoked_at, f.confirmation
), inserted AS (
  INSERT INTO refresh_tokens (hash, family_id, status, scope, created_at, expires_at, rotated_at, successor)
  SELECT $3::text, family_id, 'active', $4::text, $5::bigint, $6::bigint, NULL, NULL FROM won
  RETURNING hash
)
SELECT won.* FROM won`;

/**
 * PostgreSQL, outside a transaction: a data-modifying CTE, one round trip. The UPDATE takes the row lock and
 * re-checks its WHERE after waiting, so concurrent callers still see exactly one winner.
 */
export function postgresRotation(db: Kysely<Database>): LiveRotation {
  return async (hash, s, now) => {
    const { rows } = await db.executeQuery<JoinedRow>(CompiledQuery.raw(ROTATE_LIVE, [hash, now, s.hash, s.scope.join(' '), s.createdAt, s.expiresAt]));
    const r = rows[0];
    return r ? { kind: 'rotated', family: familyFromRow(familyColumns(r)), previous: tokenFromRow(tokenColumns(r)) } : undefined;
  };
}
