import type { SigningAlg, SigningKey, Store } from '../store/types.js';
import { generateSigningKey, SIGNING_ALGS } from '../keys/generate.js';
import { AdminConflictError, AdminNotFoundError, assertNoProblems } from './problems.js';
import { nowSeconds } from './sessions.js';

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
export async function rotateSigningKey(store: Store, alg: string, policy: RotationPolicy): Promise<SigningKey> {
  if (!SIGNING_ALGS.includes(alg as SigningAlg)) assertNoProblems([{ path: 'alg', message: `must be one of ${SIGNING_ALGS.join(', ')}` }]);
  const key = await generateSigningKey(alg as SigningAlg, policy.masterKey);
  return store.keys.rotate(key, nowSeconds() + policy.maxAccessTokenTtl + policy.clockSkew);
}

/**
 * Retires a key without rotating (one of several active keys, e.g. one imported by mistake or suspected exposed
 * while another is ready): no token is signed with it from then on, and it stays in the JWKS until every token
 * it signed can no longer be live (maxAccessTokenTtl + clockSkew), as after a rotation. The only active key is
 * never retired: the server could sign nothing (rotate instead).
 */
export async function retireSigningKey(store: Store, kid: string, policy: Pick<RotationPolicy, 'maxAccessTokenTtl' | 'clockSkew'>): Promise<SigningKey> {
  const outcome = await store.keys.retire(kid, nowSeconds() + policy.maxAccessTokenTtl + policy.clockSkew);
  if (outcome === 'missing') throw new AdminNotFoundError(`no signing key ${kid}`);
  if (outcome === 'already_retired') throw new AdminConflictError(`signing key ${kid} is already retired`);
  if (outcome === 'only_active') throw new AdminConflictError(`signing key ${kid} is the only active key; rotate instead (tessera keys rotate) so a new key signs`);
  return (await store.keys.list()).find((k) => k.kid === kid)!;
}
