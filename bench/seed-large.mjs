#!/usr/bin/env node
// Seed a large Tessera SQLite store for the "large store" benchmark (issue 7):
// N clients and M refresh tokens (in families of --tokens-per-family), written
// directly with better-sqlite3 (one prepared INSERT per table, big transactions).
//
//   node bench/seed-large.mjs --data-dir /tmp/tessera-bench-store-1m --clients 1000000 --refresh-tokens 10000000
//   node bench/seed-large.mjs --data-dir /tmp/tessera-bench-store-1k --clients 1000 --refresh-tokens 10000
//
// The schema is created by Tessera itself (`node bin/tessera.js migrate --data-dir DIR`), so the seed always
// matches the current migrations. Every client shares ONE argon2id PHC hash (same parameters as Tessera,
// src/crypto/password-hash.ts) of SEED_CLIENT_SECRET: all 1,000,000 clients are valid and authenticate with it.
// Refresh-token hashes are uniformly distributed 64-hex strings generated in ascending order (fast B-tree
// appends); each family is a rotation chain (rotated ... rotated, active) with successor links. All expiry
// times are a year ahead so Tessera's periodic cleanup never deletes seeded rows during a benchmark.
//
// Idempotent: a finished seed writes DIR/seed.json; a second run with the same parameters does nothing.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '..');
const rootRequire = createRequire(path.join(REPO_ROOT, 'package.json'));

export const SEED_CLIENT_SECRET = 'bench-seed-secret-0123456789abcdef0123456789';
export const seedClientId = (i) => `seed-client-${String(i).padStart(7, '0')}`;

const YEAR = 365 * 24 * 3600;

function usage(msg) {
  if (msg) console.error(`seed-large: ${msg}`);
  console.error('Usage: node bench/seed-large.mjs --data-dir DIR --clients N --refresh-tokens M [--tokens-per-family K] [--force]');
  process.exit(2);
}

export function seedMarker(dataDir) {
  const file = path.join(dataDir, 'seed.json');
  if (!existsSync(file)) return null;
  try { return JSON.parse(readFileSync(file, 'utf8')); } catch { return null; }
}

export function dirSizeBytes(dir) {
  let total = 0;
  for (const name of ['tessera.db', 'tessera.db-wal', 'tessera.db-shm', 'master.key']) {
    try { total += statSync(path.join(dir, name)).size; } catch { /* absent */ }
  }
  return total;
}

async function main() {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      clients: { type: 'string' },
      'refresh-tokens': { type: 'string' },
      'tokens-per-family': { type: 'string', default: '10' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) usage();
  const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : usage('--data-dir is required');
  const nClients = Number(values.clients);
  const nTokens = Number(values['refresh-tokens'] ?? 0);
  const perFamily = Number(values['tokens-per-family']);
  if (!Number.isInteger(nClients) || nClients < 1) usage('--clients must be a positive integer');
  if (!Number.isInteger(nTokens) || nTokens < 0) usage('--refresh-tokens must be a non-negative integer');
  if (!Number.isInteger(perFamily) || perFamily < 1) usage('--tokens-per-family must be a positive integer');
  const params = { clients: nClients, refreshTokens: nTokens, tokensPerFamily: perFamily };

  const marker = seedMarker(dataDir);
  if (marker?.complete && !values.force && JSON.stringify(marker.params) === JSON.stringify(params)) {
    console.log(`seed-large: ${dataDir} already seeded (${JSON.stringify(params)}, ${(dirSizeBytes(dataDir) / 2 ** 30).toFixed(2)} GiB); nothing to do`);
    return;
  }
  if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });

  const t0 = Date.now();
  // 1. Schema from Tessera itself.
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'tessera.js'), 'migrate', '--data-dir', dataDir], { cwd: REPO_ROOT, stdio: 'inherit', timeout: 60_000 });

  // 2. One argon2id hash with Tessera's parameters, reused by every client.
  const { hash, Algorithm } = rootRequire('@node-rs/argon2');
  const secretHash = await hash(SEED_CLIENT_SECRET, { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });

  const Database = rootRequire('better-sqlite3');
  const db = new Database(path.join(dataDir, 'tessera.db'));
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1048576'); // 1 GiB page cache while seeding
  db.pragma('temp_store = MEMORY');
  db.pragma('locking_mode = EXCLUSIVE');

  const now = Math.floor(Date.now() / 1000);
  const BATCH = 200_000;
  const progress = (what, done, total) => {
    const s = (Date.now() - t0) / 1000;
    process.stdout.write(`\r  ${what}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}  (${s.toFixed(0)} s)   `);
    if (done === total) process.stdout.write('\n');
  };

  // 3. Clients (ids zero-padded, so inserts append to the primary-key index).
  const insClient = db.prepare(
    `INSERT INTO clients (client_id, name, secret_hash, secret_encrypted, token_endpoint_auth_method, grant_types, scope,
       default_scope, audience, access_token_ttl, access_token_format, refresh_token_ttl, refresh_idle_ttl,
       refresh_reuse_interval, introspect_any, jwks, jwks_uri, rate_limit, status, created_at, updated_at)
     VALUES (?, NULL, ?, NULL, 'client_secret_basic', '["client_credentials","refresh_token"]', 'read write',
       NULL, NULL, 3600, 'jwt', NULL, NULL, 0, 0, NULL, NULL, NULL, 'active', ?, ?)`,
  );
  const clientBatch = db.transaction((from, to) => {
    for (let i = from; i < to; i++) insClient.run(seedClientId(i), secretHash, now, now);
  });
  for (let from = 0; from < nClients; from += BATCH) {
    const to = Math.min(nClients, from + BATCH);
    clientBatch(from, to);
    progress('clients', to, nClients);
  }

  // 4. Refresh families and tokens. Token k belongs to family k % F at chain position floor(k / F), so
  //    tokens are inserted in ascending hash order while each family's chain is spread over the key space.
  const nFamilies = Math.ceil(nTokens / perFamily);
  if (nTokens > 0) {
    const insFamily = db.prepare(
      `INSERT INTO refresh_families (family_id, client_id, subject, user_id, org_id, installation_id, scope, claims,
         status, created_at, expires_at, revoked_at)
       VALUES (?, ?, ?, NULL, NULL, NULL, 'read write', NULL, 'active', ?, ?, NULL)`,
    );
    const familyId = (f) => `seed-fam-${String(f).padStart(9, '0')}`;
    const familyBatch = db.transaction((from, to) => {
      for (let f = from; f < to; f++) insFamily.run(familyId(f), seedClientId(f % nClients), `seed-subject-${f}`, now - 3600, now + YEAR);
    });
    for (let from = 0; from < nFamilies; from += BATCH) {
      const to = Math.min(nFamilies, from + BATCH);
      familyBatch(from, to);
      progress('refresh families', to, nFamilies);
    }

    // Uniform, strictly ascending 64-hex "SHA-256" values: a 13-hex-digit prefix that grows with k, then
    // 51 hex digits derived from k (nobody holds the plaintext of a seeded token; they only fill the table).
    const span = 2 ** 52 / nTokens;
    const tokenHash = (k) => Math.floor(k * span).toString(16).padStart(13, '0') + createHash('sha256').update(`seed-${k}`).digest('hex').slice(0, 51);
    const insToken = db.prepare(
      `INSERT INTO refresh_tokens (hash, family_id, status, scope, created_at, expires_at, rotated_at, successor)
       VALUES (?, ?, ?, 'read write', ?, ?, ?, ?)`,
    );
    const chainLength = (f) => Math.min(perFamily, Math.floor((nTokens - 1 - f) / nFamilies) + 1);
    const tokenBatch = db.transaction((from, to) => {
      for (let k = from; k < to; k++) {
        const f = k % nFamilies;
        const pos = Math.floor(k / nFamilies);
        const last = pos === chainLength(f) - 1;
        const created = now - 3600 + pos;
        if (last) insToken.run(tokenHash(k), familyId(f), 'active', created, now + YEAR, null, null);
        else insToken.run(tokenHash(k), familyId(f), 'rotated', created, now + YEAR, created + 1, tokenHash(k + nFamilies));
      }
    });
    for (let from = 0; from < nTokens; from += BATCH) {
      const to = Math.min(nTokens, from + BATCH);
      tokenBatch(from, to);
      progress('refresh tokens', to, nTokens);
    }
  }

  const counts = {
    clients: db.prepare('SELECT count(*) AS n FROM clients').get().n,
    refreshFamilies: db.prepare('SELECT count(*) AS n FROM refresh_families').get().n,
    refreshTokens: db.prepare('SELECT count(*) AS n FROM refresh_tokens').get().n,
  };
  db.pragma('locking_mode = NORMAL');
  db.pragma('journal_mode = WAL'); // what Tessera uses
  db.close();

  const info = {
    complete: true,
    params,
    counts,
    clientSecret: SEED_CLIENT_SECRET,
    clientIdFormat: 'seed-client-NNNNNNN (0 .. clients-1)',
    seededAt: new Date().toISOString(),
    seconds: (Date.now() - t0) / 1000,
    bytes: dirSizeBytes(dataDir),
  };
  writeFileSync(path.join(dataDir, 'seed.json'), JSON.stringify(info, null, 2) + '\n');
  console.log(`seed-large: ${dataDir}: ${JSON.stringify(counts)} in ${info.seconds.toFixed(0)} s, ${(info.bytes / 2 ** 30).toFixed(2)} GiB`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error('seed-large:', err);
    process.exit(1);
  });
}
