import { availableParallelism } from 'node:os';
import { hash, verify, Algorithm } from '@node-rs/argon2';
import { KdfGate, type KdfGateSettings, type KdfGateStats, type WhenGone } from './kdf-gate.js';

export { KdfRefusal, type WhenGone } from './kdf-gate.js';

/**
 * argon2id with the OWASP Password Storage Cheat Sheet parameters (m=19 MiB, t=2, p=1).
 * @node-rs/argon2 runs the KDF on the libuv thread pool, so hashing never blocks the event loop.
 * See docs/adr/0002-secret-hashing.md.
 */
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * The process's KDF gate (crypto/kdf-gate.ts): how many KDFs run at once (config `kdfConcurrency`) and who may
 * wait for one (config `kdf`). Left alone, libuv would run four; a burst of logins must not take more cores than
 * the process should use, or it starves the event loop every other request needs. One gate per process rather
 * than per server context, because what it rations, the libuv pool and the cores, belongs to the process.
 */
const gate = new KdfGate({ concurrency: Math.max(1, availableParallelism() - 1), maxQueue: 128, maxWaitMs: 1000, perAddress: 32 });

/** 'auto': the cores this process may use (the machine's, shared among the `workers` processes), at least one. */
export function resolveKdfConcurrency(setting: number | 'auto', workers: number | 'auto'): number {
  if (setting !== 'auto') return setting;
  const cores = availableParallelism();
  return Math.max(1, Math.floor(cores / (workers === 'auto' ? cores : Math.max(1, workers))));
}

/** KDFs running now and waiting for a slot (observability and tests). */
export function kdfLoad(): { running: number; waiting: number; limit: number } {
  return gate.load();
}

/** The gate's totals since the process started: waits and refusals (observability/metrics.ts). */
export function kdfStats(): Readonly<KdfGateStats> {
  return gate.stats;
}

export function setKdfConcurrency(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('kdfConcurrency must be a positive integer');
  gate.configure({ concurrency: n });
}

/** The admission settings of network requests' KDFs (config `kdf`, see kdf-gate.ts). */
export function configureKdfAdmission(settings: Pick<KdfGateSettings, 'maxQueue' | 'maxWaitMs' | 'perAddress'>): void {
  gate.configure(settings);
}

async function verifyOrFalse(phc: string, secret: string): Promise<boolean> {
  try {
    return await verify(phc, secret);
  } catch {
    // A malformed stored hash is a failed verification, never a crash.
    return false;
  }
}

/** Hashing is only asked for by operators (CLI, import), so it waits its turn and is never refused. */
export async function hashSecret(secret: string): Promise<string> {
  return gate.run(null, () => hash(secret, OPTIONS));
}

/** For operator tools (CLI, import document): waits its turn, never refused. Requests use verifySecretFrom. */
export async function verifySecret(phc: string, secret: string): Promise<boolean> {
  return gate.run(null, () => verifyOrFalse(phc, secret));
}

/**
 * A verification a network request asked for, admitted per source address: rejects with KdfRefusal (without
 * running the KDF) when the address holds its share already, the queue is full or no slot came free in time,
 * or (given `whenGone`) its requester went away while it waited.
 */
export async function verifySecretFrom(address: string, phc: string, secret: string, whenGone?: WhenGone): Promise<boolean> {
  return gate.run(address, () => verifyOrFalse(phc, secret), whenGone);
}

/** Accepts only argon2 PHC strings for imported hashes, so we never store something we cannot verify. */
export function isSupportedHash(phc: string): boolean {
  return /^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.test(phc);
}

let dummyHash: Promise<string> | undefined;

/** A real hash of a random value: verifying against it costs the same as a real verification (timing equalisation). */
export function getDummyHash(): Promise<string> {
  dummyHash ??= hashSecret(`dummy-${Math.random()}-${Date.now()}`);
  return dummyHash;
}
