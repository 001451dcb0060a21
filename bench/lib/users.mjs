// Imported users for the password / refresh scenarios. Hashing 200 passwords at import would add seconds
// of argon2 to every server start, so the harness hashes the shared password ONCE (argon2id, Tessera's
// parameters from src/crypto/password-hash.ts, so verification costs what a real login costs) and imports
// every user with that PHC string as `password_hash`.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PASSWORD, USER_POOL_SIZE, poolUsername } from './constants.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const rootRequire = createRequire(path.join(REPO_ROOT, 'package.json'));

let passwordHash;
export function benchPasswordHash() {
  if (!passwordHash) {
    const { hash, Algorithm } = rootRequire('@node-rs/argon2');
    passwordHash = hash(PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
  }
  return passwordHash;
}

/** Import-document users: bench-user-000 .. bench-user-199, all with PASSWORD. */
export async function benchUsers(n = USER_POOL_SIZE) {
  const h = await benchPasswordHash();
  return Array.from({ length: n }, (_, i) => ({ username: poolUsername(i), password_hash: h }));
}
