import type { Client, ClientPatch, Store } from '../store/types.js';
import { randomToken } from '../crypto/random.js';
import { secretId } from '../crypto/secret-id.js';
import { formatDuration, parseDuration } from './duration.js';
import { getClient, storedSecret } from './clients.js';
import { generatedSecretBytes } from './client-rules.js';
import { AdminConflictError, AdminNotFoundError, assertNoProblems } from './problems.js';
import { nowSeconds } from './sessions.js';
import { iso, live } from './client-secret-view.js';
import { recordAdminChange, type AdminAudit } from './audit.js';

/** The longest overlap a rotation may keep the old secret for: long enough for any deploy, short enough to end. */
export const MAX_KEEP_OLD_FOR = 90 * 86_400;

export interface SecretRotation {
  /** Keep the current secret working this long beside the new one: seconds, or a duration such as "24h". */
  keepOldFor?: unknown;
  /** Who rotates, for the admin.change event (secret ids only, never a secret). */
  audit?: AdminAudit;
}

export interface RotatedSecret {
  client: Client;
  /** The new secret in clear, to be shown once. */
  secret: string;
  secretId: string;
  /** The secret kept for the overlap, and until when (Unix seconds); absent without an overlap. */
  kept?: { secretId: string; expiresAt: number };
}

/** keep_old_for as seconds; a validation problem when it is not a duration within bounds. */
function keepSeconds(value: unknown): number {
  if (value === undefined || value === null) return 0;
  const seconds = parseDuration(value);
  if (seconds === undefined || seconds > MAX_KEEP_OLD_FOR) {
    assertNoProblems([{ path: 'keep_old_for', message: `must be a duration such as 3600, "90m", "24h" or "7d", at most ${formatDuration(MAX_KEEP_OLD_FOR)}` }]);
  }
  return seconds!;
}

const NO_PREVIOUS: ClientPatch = { previousSecretHash: null, previousSecretEncrypted: null, previousSecretExpiresAt: null, previousSecretLastUsedAt: null };

/**
 * Replaces the client secret with a generated one, returned to be shown once. Without keepOldFor the old secret
 * (and any kept one) stops working at once. With it the old secret keeps working beside the new one until then
 * (never beyond its own expiry), so clients can be redeployed without an outage.
 *
 * A client holds at most two secrets. Rotating with keepOldFor while an earlier rotation's kept secret is still
 * live is refused (409), not resolved by dropping one: the kept secret may be the one half the fleet still uses,
 * and silently ending it is the outage the overlap exists to prevent. Remove it first (removeClientSecret), or
 * rotate without keepOldFor to end both old secrets deliberately. The write is a compare-and-set on the current
 * secret: two rotations racing cannot both keep the same old secret.
 */
export async function rotateClientSecret(store: Store, clientId: string, masterKey: Buffer, opts: SecretRotation = {}): Promise<RotatedSecret> {
  const keep = keepSeconds(opts.keepOldFor);
  const c = await getClient(store, clientId);
  if (c.tokenEndpointAuthMethod === 'none') throw new AdminConflictError(`${clientId} is a public client and has no secret`);
  const now = nowSeconds();
  const keepsCurrent = keep > 0 && c.secretHash !== null && live(c.secretExpiresAt, now);
  if (keepsCurrent && c.previousSecretHash !== null && live(c.previousSecretExpiresAt, now)) {
    const until = c.previousSecretExpiresAt === null ? 'without expiry' : `until ${iso(c.previousSecretExpiresAt)}`;
    throw new AdminConflictError(
      `${clientId} already has two active secrets (secret ${secretId(c.previousSecretHash)} is kept ${until}); remove it first (DELETE /admin/v1/clients/{id}/secrets/${secretId(c.previousSecretHash)}, tessera client remove-secret), or rotate without keep_old_for to end both old secrets now`,
    );
  }
  const secret = randomToken(generatedSecretBytes(c.tokenEndpointAuthMethod));
  const stored = await storedSecret(clientId, c.tokenEndpointAuthMethod, secret, masterKey);
  // A client of another method keeps whatever sealed secret it has (none): only client_secret_jwt needs it.
  const current: ClientPatch = { ...(stored.secretEncrypted === null ? { secretHash: stored.secretHash } : stored), secretExpiresAt: null, secretLastUsedAt: null };
  const keptUntil = keepsCurrent ? Math.min(now + keep, c.secretExpiresAt ?? Infinity) : 0;
  const previous: ClientPatch = keepsCurrent
    ? { previousSecretHash: c.secretHash, previousSecretEncrypted: c.secretEncrypted, previousSecretExpiresAt: keptUntil, previousSecretLastUsedAt: c.secretLastUsedAt }
    : NO_PREVIOUS;
  const updated = await store.clients.update(clientId, { ...current, ...previous }, { ifSecretHash: c.secretHash });
  if (!updated) throw await raced(store, clientId);
  const rotated: RotatedSecret = { client: updated, secret, secretId: secretId(stored.secretHash!) };
  if (keepsCurrent) rotated.kept = { secretId: secretId(c.secretHash!), expiresAt: keptUntil };
  recordAdminChange(opts.audit, { resource: 'client', action: 'rotate_secret', id: clientId, extra: { secret_id: rotated.secretId, ...(rotated.kept ? { kept_secret_id: rotated.kept.secretId, kept_until: rotated.kept.expiresAt } : {}) } });
  return rotated;
}

/**
 * Ends the secret a rotation kept for the overlap before its time (it stops working on every node once they
 * read the change, within the change-feed interval). The current secret cannot be removed: rotate instead.
 * Returns the client as it is now.
 */
export async function removeClientSecret(store: Store, clientId: string, id: string, audit?: AdminAudit): Promise<Client> {
  const c = await getClient(store, clientId);
  if (c.secretHash !== null && secretId(c.secretHash) === id) {
    throw new AdminConflictError(`secret ${id} is the current secret of ${clientId}; rotate it instead (POST /admin/v1/clients/{id}/secret, tessera client rotate-secret)`);
  }
  if (c.previousSecretHash === null || secretId(c.previousSecretHash) !== id) throw new AdminNotFoundError(`${clientId} has no secret ${id}`);
  const updated = await store.clients.update(clientId, NO_PREVIOUS, { ifSecretHash: c.secretHash });
  if (!updated) throw await raced(store, clientId);
  recordAdminChange(audit, { resource: 'client', action: 'remove_secret', id: clientId, extra: { secret_id: id } });
  return updated;
}

/** Why a compare-and-set on the secret found nothing: the client went, or another writer rotated meanwhile. */
async function raced(store: Store, clientId: string): Promise<Error> {
  return (await store.clients.get(clientId)) === undefined
    ? new AdminNotFoundError(`no client ${clientId}`)
    : new AdminConflictError(`the secret of ${clientId} was changed by another request meanwhile; look at the client and retry`);
}
