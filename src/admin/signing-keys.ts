import type { SigningAlg, SigningKey, Store } from '../store/types.js';
import { generateSigningKey, SIGNING_ALGS } from '../keys/generate.js';
import { AdminConflictError, AdminNotFoundError, assertNoProblems } from './problems.js';
import { VersionConflictError } from '../store/errors.js';
import { nowSeconds } from './sessions.js';
import { formatDuration } from './duration.js';
import { recordAdminChange, recordAdminEvent, type AdminAudit } from './audit.js';

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

/**
 * What operators are shown of a signing key: never the private part. activates_at is when it signs (or
 * signed) from: a pending key's scheduled activation, else its creation.
 */
export function describeSigningKey(k: SigningKey): Record<string, unknown> {
  return {
    kid: k.kid,
    alg: k.alg,
    status: k.status,
    created_at: iso(k.createdAt),
    activates_at: iso(k.activatesAt ?? k.createdAt),
    ...(k.retiredAt ? { retired_at: iso(k.retiredAt) } : {}),
    ...(k.publishUntil ? { published_until: iso(k.publishUntil) } : {}),
  };
}

/** The rotation settings the schedule is shown against (config keys.*), in seconds. */
export interface ScheduleSettings {
  rotateEvery: number | null;
  prePublish: number;
}

/**
 * The signing-key schedule as `tessera keys` shows it: the key that signs now, the next one (pending, with its
 * activation; or, with rotation on and none pending yet, when the scheduler will publish one), and the retired
 * keys with the time each leaves the JWKS. Read from the store, so it is the cluster's view, not a node's.
 */
export function describeKeySchedule(keys: readonly SigningKey[], settings: ScheduleSettings, now: number): Record<string, unknown> {
  const activation = (k: SigningKey) => k.activatesAt ?? k.createdAt;
  const signing = keys.filter((k) => k.status === 'active' || (k.status === 'pending' && activation(k) <= now)).sort((a, b) => activation(b) - activation(a));
  const current = signing[0];
  const pending = keys.find((k) => k.status === 'pending' && k !== current);
  const next = pending
    ? { ...describeSigningKey(pending), published: true }
    : current && settings.rotateEvery !== null
      ? { published: false, publish_at: iso(Math.max(now, activation(current) + settings.rotateEvery - settings.prePublish)), activates_at: iso(Math.max(now + settings.prePublish, activation(current) + settings.rotateEvery)) }
      : null;
  return {
    rotation: settings.rotateEvery === null ? { enabled: false, pre_publish: formatDuration(settings.prePublish) } : { enabled: true, rotate_every: formatDuration(settings.rotateEvery), pre_publish: formatDuration(settings.prePublish) },
    current: current ? describeSigningKey(current) : null,
    next,
    // Active keys a newer one replaced but the scheduler has not retired yet sign nothing and are shown as retiring.
    retired: keys.filter((k) => k !== current && k !== pending).map(describeSigningKey),
  };
}

export interface RotationPolicy {
  masterKey: Buffer;
  /** config maxAccessTokenTtl and clockSkew: how long a token signed by the retired key may still be presented. */
  maxAccessTokenTtl: number;
  clockSkew: number;
}

/** Adds a new active key; the retired ones stay in the JWKS until every token they signed has expired. */
export async function rotateSigningKey(store: Store, alg: string, policy: RotationPolicy, audit?: AdminAudit): Promise<SigningKey> {
  if (!SIGNING_ALGS.includes(alg as SigningAlg)) assertNoProblems([{ path: 'alg', message: `must be one of ${SIGNING_ALGS.join(', ')}` }]);
  const key = await generateSigningKey(alg as SigningAlg, policy.masterKey);
  // A pending (scheduled) key is superseded too: the manual rotation restarts the schedule from the new key.
  const retiredBefore = (await store.keys.list()).filter((k) => k.status !== 'retired').map((k) => k.kid);
  const publishUntil = nowSeconds() + policy.maxAccessTokenTtl + policy.clockSkew;
  const rotated = await store.keys.rotate(key, publishUntil);
  recordAdminChange(audit, { resource: 'signing_key', action: 'rotate', id: rotated.kid, extra: { alg: rotated.alg } });
  recordAdminEvent(audit, { type: 'key.rotated', details: { kid: rotated.kid, alg: rotated.alg, retired: retiredBefore } });
  for (const kid of retiredBefore) recordAdminEvent(audit, { type: 'key.retired', details: { kid, published_until: new Date(publishUntil * 1000).toISOString() } });
  return rotated;
}

/**
 * Retires a key without rotating (one of several active keys, e.g. one imported by mistake or suspected exposed
 * while another is ready): no token is signed with it from then on, and it stays in the JWKS until every token
 * it signed can no longer be live (maxAccessTokenTtl + clockSkew), as after a rotation. The only active key is
 * never retired: the server could sign nothing (rotate instead). `cond.ifStatus` (If-Match): retire only if the
 * key's status is still the one read, in the store's transaction, else VersionConflictError.
 */
export async function retireSigningKey(store: Store, kid: string, policy: Pick<RotationPolicy, 'maxAccessTokenTtl' | 'clockSkew'>, audit?: AdminAudit, cond: { ifStatus?: SigningKey['status'] } = {}): Promise<SigningKey> {
  const publishUntil = nowSeconds() + policy.maxAccessTokenTtl + policy.clockSkew;
  const outcome = await store.keys.retire(kid, publishUntil, cond.ifStatus);
  if (outcome === 'missing') throw new AdminNotFoundError(`no signing key ${kid}`);
  if (outcome === 'changed') throw new VersionConflictError(`signing key ${kid}`);
  if (outcome === 'already_retired') throw new AdminConflictError(`signing key ${kid} is already retired`);
  if (outcome === 'only_active') throw new AdminConflictError(`signing key ${kid} is the only active key; rotate instead (tessera keys rotate) so a new key signs`);
  const key = (await store.keys.list()).find((k) => k.kid === kid)!;
  recordAdminChange(audit, { resource: 'signing_key', action: 'retire', id: kid, extra: { alg: key.alg } });
  recordAdminEvent(audit, { type: 'key.retired', details: { kid, alg: key.alg, published_until: new Date(publishUntil * 1000).toISOString() } });
  return key;
}
