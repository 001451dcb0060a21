import { availableParallelism } from 'node:os';
import { hash, verify, Algorithm } from '@node-rs/argon2';

/**
 * argon2id with the OWASP Password Storage Cheat Sheet parameters (m=19 MiB, t=2, p=1).
 * @node-rs/argon2 runs the KDF on the libuv thread pool, so hashing never blocks the event loop.
 * See docs/adr/0002-secret-hashing.md.
 */
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * At most cores - 1 KDF runs at once: by default libuv would run four, and on a small machine a burst of
 * logins then takes every core from the event loop (the benchmark saw client_credentials p99 go from ~17 ms to
 * hundreds of ms on 2 cores). Queued KDFs wait their turn; nothing else does.
 */
const MAX_CONCURRENT_KDF = Math.max(1, availableParallelism() - 1);
let running = 0;
const waiting: Array<() => void> = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  // A finishing KDF hands its slot straight to the next waiter, so the limit is never exceeded.
  if (running >= MAX_CONCURRENT_KDF) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
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
