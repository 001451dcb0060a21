import type { RefreshFamilyRow, RefreshTokenRow } from '../schema.js';
import type { SyncTransactions } from '../../sqlite/sync-transaction.js';
import { familyFromRow, tokenFromRow } from '../refresh-rows.js';
import { liveSql } from './liveness.js';
import type { LiveRotation } from './types.js';

/**
 * SQLite's compare-and-set: the token and its family live, in one UPDATE that also returns the family row (as one
 * JSON object from a subquery: RETURNING may not name a joined table, a subquery it may).
 * Parameters: now, successor, hash, now, now.
 */
const CAS_IF_LIVE = `
UPDATE refresh_tokens SET status = 'rotated', rotated_at = ?, successor = ?
WHERE hash = ? AND ${liveSql('refresh_tokens', '?')}
  AND EXISTS (SELECT 1 FROM refresh_families AS f WHERE f.family_id = refresh_tokens.family_id AND ${liveSql('f', '?')})
RETURNING hash, family_id, status, scope, created_at, expires_at, rotated_at, successor,
  (SELECT json_object('family_id', f.family_id, 'client_id', f.client_id, 'subject', f.subject, 'user_id', f.user_id,
    'org_id', f.org_id, 'installation_id', f.installation_id, 'scope', f.scope, 'claims', f.claims, 'audience', f.audience, 'status', f.status,
    'created_at', f.created_at, 'expires_at', f.expires_at, 'revoked_at', f.revoked_at, 'confirmation', f.confirmation)
   FROM refresh_families AS f WHERE f.family_id = refresh_tokens.family_id) AS family`;

/** The successor's INSERT. Parameters: hash, family id, scope, created, expires. */
const INSERT_TOKEN = `INSERT INTO refresh_tokens (hash, family_id, status, scope, created_at, expires_at, rotated_at, successor)
VALUES (?, ?, 'active', ?, ?, ?, NULL, NULL)`;

type CasRow = RefreshTokenRow & { family: string };

/**
 * The CAS and the INSERT as ONE synchronous better-sqlite3 transaction (sqlite/sync-transaction.ts): no promise
 * between BEGIN and COMMIT, and none of Kysely's per-query work.
 */
export function sqliteRotation(sync: SyncTransactions): LiveRotation {
  return (hash, s, now) =>
    sync.transaction((q) => {
      const won = q.get<CasRow>(CAS_IF_LIVE, [now, s.hash, hash, now, now]);
      if (!won) return undefined;
      q.run(INSERT_TOKEN, [s.hash, won.family_id, s.scope.join(' '), s.createdAt, s.expiresAt]);
      return { kind: 'rotated', family: familyFromRow(JSON.parse(won.family) as RefreshFamilyRow), previous: tokenFromRow(won) };
    });
}
