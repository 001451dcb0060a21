import { availableParallelism } from 'node:os';
import { hash, verify, Algorithm } from '@node-rs/argon2';

/**
 * argon2id with the OWASP Password Storage Cheat Sheet parameters (m=19 MiB, t=2, p=1).
 * @node-rs/argon2 runs the KDF on the libuv thread pool, so hashing never blocks the event loop.
 * See docs/adr/0002-secret-hashing.md.
 */
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * How many KDFs run at once in this process (config `kdfConcurrency`). Left alone, libuv would run four; a burst
 * of logins must not take more cores than the process should use, or it starves the event loop every other
 * request needs. Queued KDFs wait their turn; nothing else does.
 */
let maxConcurrentKdf = Math.max(1, availableParallelism() - 1);
let running = 0;
const waiting: Array<() => void> = [];

/** 'auto': the cores this process may use (the machine's, shared among the `workers` processes), at least one. */
export function resolveKdfConcurrency(setting: number | 'auto', workers: number | 'auto'): number {
  if (setting !== 'auto') return setting;
  const cores = availableParallelism();
  return Math.max(1, Math.floor(cores / (workers === 'auto' ? cores : Math.max(1, workers))));
}

/** KDFs running now and waiting for a slot (observability and tests). */
export function kdfLoad(): { running: number; waiting: number; limit: number } {
  return { running, waiting: waiting.length, limit: maxConcurrentKdf };
}

export function setKdfConcurrency(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('kdfConcurrency must be a positive integer');
  maxConcurrentKdf = n;
  // A raised limit starts queued work at once.
  while (running < maxConcurrentKdf && waiting.length > 0) {
    running++;
    waiting.shift()!();
  }
}

async function limited<T>(work: () => Promise<T>): Promise<T> {
  // A finishing KDF hands its slot straight to the next waiter, so the limit is never exceeded.
  if (running >= maxConcurrentKdf) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await work();
  } finally {
    // Hand the slot straight to the next waiter, unless the limit was lowered meanwhile.
    if (running <= maxConcurrentKdf && waiting.length > 0) waiting.shift()!();
    else running--;
  }
}

export async function hashSecret(secret: string): Promise<string> {
  return limited(() => hash(secret, OPTIONS));
}

export async function verifySecret(phc: string, secret: string): Promise<boolean> {
  try {
    return await limited(() => verify(phc, secret));
  } catch {
    // A malformed stored hash is a failed verification, never a crash.
    return false;
  }
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
