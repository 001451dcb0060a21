import type { SigningAlg, SigningKey, Store } from '../store/types.js';
import { generateSigningKey, SIGNING_ALGS } from '../keys/generate.js';
import { AdminConflictError, AdminNotFoundError, assertNoProblems } from './problems.js';
import { nowSeconds } from './sessions.js';
import { recordAdminChange, recordAdminEvent, type AdminAudit } from './audit.js';

/** What operators are shown of a signing key: never the private part. */
export function describeSigningKey(k: SigningKey): Record<string, unknown> {
  return {
    kid: k.kid,
    alg: k.alg,
    status: k.status,
    created_at: new Date(k.createdAt * 1000).toISOString(),
    ...(k.publishUntil ? { published_until: new Date(k.publishUntil * 1000).toISOString() } : {}),
  };
}

export interface RotationPolicy {
  masterKey: Buffer;
  /** config maxAccessTokenTtl and clockSkew: how long a token signed by the retired key may still be presented. */
  maxAccessTokenTtl: number;
  clockSkew: number;
}

/** Adds a new active key; the retired one stays in the JWKS until every token it signed has expired. */
export async function rotateSigningKey(store: Store, alg: string, policy: RotationPolicy, audit?: AdminAudit): Promise<SigningKey> {
  if (!SIGNING_ALGS.includes(alg as SigningAlg)) assertNoProblems([{ path: 'alg', message: `must be one of ${SIGNING_ALGS.join(', ')}` }]);
  const key = await generateSigningKey(alg as SigningAlg, policy.masterKey);
  const retiredBefore = (await store.keys.list()).filter((k) => k.status === 'active').map((k) => k.kid);
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
 * never retired: the server could sign nothing (rotate instead).
 */
export async function retireSigningKey(store: Store, kid: string, policy: Pick<RotationPolicy, 'maxAccessTokenTtl' | 'clockSkew'>, audit?: AdminAudit): Promise<SigningKey> {
  const publishUntil = nowSeconds() + policy.maxAccessTokenTtl + policy.clockSkew;
  const outcome = await store.keys.retire(kid, publishUntil);
  if (outcome === 'missing') throw new AdminNotFoundError(`no signing key ${kid}`);
  if (outcome === 'already_retired') throw new AdminConflictError(`signing key ${kid} is already retired`);
  if (outcome === 'only_active') throw new AdminConflictError(`signing key ${kid} is the only active key; rotate instead (tessera keys rotate) so a new key signs`);
  const key = (await store.keys.list()).find((k) => k.kid === kid)!;
  recordAdminChange(audit, { resource: 'signing_key', action: 'retire', id: kid, extra: { alg: key.alg } });
  recordAdminEvent(audit, { type: 'key.retired', details: { kid, alg: key.alg, published_until: new Date(publishUntil * 1000).toISOString() } });
  return key;
}
