// Target registry. A target says how to start one server process on a given
// port and how to tell that it is ready. Every target gets a fresh process per
// measurement (per round, per sweep point).
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { writeFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEALTH_PATH } from './constants.mjs';
import { SEED_CLIENT_SECRET, seedMarker } from '../seed-large.mjs';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');

const ALL_GRANTS = ['client_credentials', 'password', 'refresh_token'];

function nodeScript(script, extraArgs = []) {
  return ({ host, port }) => ({
    command: process.execPath,
    args: [path.join(BENCH_DIR, 'targets', script), '--host', host, '--port', String(port), ...extraArgs],
    cwd: BENCH_DIR,
    env: { NODE_ENV: 'production' },
  });
}

/**
 * Environment for Tessera under load. Rate limits are raised out of reach (the
 * limiter still runs on every request, it just never answers 429), and the
 * signing alg defaults to EdDSA to match oidc-provider-jwt. Anything already
 * set in the caller's environment wins. BENCH_TESSERA_SIGNING_ALG=default
 * keeps Tessera's own default (ES256).
 */
export function tesseraEnv(scenario) {
  const env = {
    NODE_ENV: 'production',
    TESSERA_RATE_LIMIT_CLIENT_POINTS: '1000000000',
    TESSERA_RATE_LIMIT_IP_POINTS: '1000000000',
    ...(scenario?.tesseraEnv ?? {}),
  };
  const alg = process.env.BENCH_TESSERA_SIGNING_ALG ?? 'EdDSA';
  if (alg !== 'default') env.TESSERA_SIGNING_ALG = alg;
  for (const k of Object.keys(env)) if (process.env[k] !== undefined) delete env[k];
  return env;
}

/** Extra CLI args for Tessera, e.g. BENCH_TESSERA_ARGS="--workers 2". */
function tesseraExtraArgs() {
  return (process.env.BENCH_TESSERA_ARGS ?? '').split(/\s+/).filter(Boolean);
}

function tesseraBin(override = process.env.BENCH_TESSERA_BIN) {
  // BENCH_TESSERA_BIN points at another CLI entry (e.g. an installed build).
  const bin = override ? path.resolve(override) : path.join(REPO_ROOT, 'bin', 'tessera.js');
  if (!existsSync(bin)) throw new Error(`${bin} not found`);
  return bin;
}

/** The CLI of the build to compare against (tessera-baseline), e.g. a `git worktree` of main with dist/ built. */
function baselineBin() {
  return tesseraBin(process.env.BENCH_BASELINE_BIN || path.join(REPO_ROOT, 'bin', 'tessera.js'));
}

export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A fresh PostgreSQL database `bench_<random>` on the shared server, for one Tessera process.
 * Returns { url, drop } — drop() removes it (WITH (FORCE): the server may still hold pooled connections).
 */
export async function createBenchDatabase() {
  const { Client } = createRequire(path.join(REPO_ROOT, 'package.json'))('pg');
  const name = `bench_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * BENCH_BASELINE_REFERENCE=1: tessera-baseline runs each scenario's reference variant (a scenario that measures
 * one feature, e.g. a claims template or DPoP, then gives the baseline the plain client_credentials it is
 * judged against), so a feature's cost is a paired, per-round ratio within one scenario.
 */
export const baselineIsReference = () => process.env.BENCH_BASELINE_REFERENCE === '1';

/** BENCH_BASELINE_ENV="K=V K2=V2": environment for tessera-baseline only (A/B of a setting on one build). */
function baselineEnv() {
  return Object.fromEntries((process.env.BENCH_BASELINE_ENV ?? '').split(/\s+/).filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    if (i < 1) throw new Error(`BENCH_BASELINE_ENV: "${kv}" is not NAME=value`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  }));
}

function tessera(accessTokenFormat, extraArgs = [], bin = tesseraBin, extraEnv = () => ({}), reference = () => false) {
  return async ({ host, port, tmpDir, scenario }) => {
    const binPath = bin();
    const dataDir = path.join(tmpDir, 'data');
    await mkdir(dataDir, { recursive: true });
    const importFile = path.join(tmpDir, 'import.json');
    await writeFile(importFile, JSON.stringify(await scenario.tesseraImport({ accessTokenFormat, reference: reference() }), null, 2));
    const env = { ...tesseraEnv(scenario), ...extraEnv() };
    let cleanup;
    let database = null;
    if (scenario.tesseraDatabase === 'postgres') {
      const db = await createBenchDatabase();
      env.TESSERA_DATABASE_URL = db.url;
      database = db.name;
      cleanup = () => db.drop();
    }
    return {
      command: process.execPath,
      args: [binPath, 'serve', '--host', host, '--port', String(port), '--data-dir', dataDir, '--import', importFile, ...extraArgs, ...tesseraExtraArgs()],
      cwd: REPO_ROOT,
      env,
      cleanup,
      database,
    };
  };
}

/** Tessera on a data directory seeded by bench/seed-large.mjs (reused across runs; no import). */
function tesseraSeeded(seed) {
  return async ({ host, port, scenario }) => {
    const bin = tesseraBin();
    const marker = seedMarker(seed.dir);
    if (!marker?.complete || marker.params.clients !== seed.clients) {
      throw new Error(`${seed.dir} is not seeded: run \`node bench/seed-large.mjs --data-dir ${seed.dir} --clients ${seed.clients} --refresh-tokens ${seed.refreshTokens}\``);
    }
    return {
      command: process.execPath,
      args: [bin, 'serve', '--host', host, '--port', String(port), '--data-dir', seed.dir, ...tesseraExtraArgs()],
      cwd: REPO_ROOT,
      env: tesseraEnv(scenario),
      seedCounts: marker.counts,
    };
  };
}

const STORE_1M = {
  dir: process.env.BENCH_STORE_1M_DIR ?? '/tmp/tessera-bench-store-1m',
  clients: 1_000_000,
  refreshTokens: 10_000_000,
  secret: SEED_CLIENT_SECRET,
};
const STORE_1K = {
  dir: process.env.BENCH_STORE_1K_DIR ?? '/tmp/tessera-bench-store-1k',
  clients: 1_000,
  refreshTokens: 10_000,
  secret: SEED_CLIENT_SECRET,
};

export const targets = {
  'bare-fastify': {
    name: 'bare-fastify',
    kind: 'baseline',
    description: 'Fastify 5 route, form parsing + Basic check, fixed JSON body (framework floor)',
    expectFormat: null,
    grants: ALL_GRANTS,
    readiness: { type: 'token' },
    display: 'node bench/targets/bare-fastify.mjs --host 127.0.0.1 --port <free port>',
    command: nodeScript('bare-fastify.mjs'),
  },
  'bare-http': {
    name: 'bare-http',
    kind: 'baseline',
    description: 'node:http route, form parsing + Basic check, fixed JSON body (HTTP floor)',
    expectFormat: null,
    grants: ALL_GRANTS,
    readiness: { type: 'token' },
    display: 'node bench/targets/bare-http.mjs --host 127.0.0.1 --port <free port>',
    command: nodeScript('bare-http.mjs'),
  },
  'oidc-provider-jwt': {
    name: 'oidc-provider-jwt',
    kind: 'comparison',
    description: 'oidc-provider 9, client_credentials, JWT access tokens (EdDSA) via resource indicators',
    expectFormat: 'jwt',
    grants: ['client_credentials'],
    readiness: { type: 'token' },
    display: 'node bench/targets/oidc-provider.mjs --mode jwt --host 127.0.0.1 --port <free port>',
    command: nodeScript('oidc-provider.mjs', ['--mode', 'jwt']),
  },
  'oidc-provider-opaque': {
    name: 'oidc-provider-opaque',
    kind: 'comparison',
    description: 'oidc-provider 9, client_credentials, opaque access tokens (default in-memory adapter)',
    expectFormat: 'opaque',
    grants: ['client_credentials'],
    readiness: { type: 'token' },
    display: 'node bench/targets/oidc-provider.mjs --mode opaque --host 127.0.0.1 --port <free port>',
    command: nodeScript('oidc-provider.mjs', ['--mode', 'opaque']),
  },
  tessera: {
    name: 'tessera',
    kind: 'subject',
    description: 'Tessera (node bin/tessera.js serve), default JWT access tokens',
    expectFormat: 'jwt',
    grants: ALL_GRANTS,
    readiness: { type: 'http-get', path: HEALTH_PATH },
    needsTmpDir: true,
    display: 'node bin/tessera.js serve --host 127.0.0.1 --port <free port> --data-dir <tmp>/data --import <tmp>/import.json',
    command: tessera('jwt'),
  },
  'tessera-opaque': {
    name: 'tessera-opaque',
    kind: 'subject',
    description: 'Tessera with the client imported with access_token_format "opaque"',
    expectFormat: 'opaque',
    grants: ALL_GRANTS,
    readiness: { type: 'http-get', path: HEALTH_PATH },
    needsTmpDir: true,
    display: 'node bin/tessera.js serve --host 127.0.0.1 --port <free port> --data-dir <tmp>/data --import <tmp>/import.json (client with access_token_format "opaque")',
    command: tessera('opaque'),
  },
};

const seedDisplay = (seed) => `node bench/seed-large.mjs --data-dir ${seed.dir} --clients ${seed.clients} --refresh-tokens ${seed.refreshTokens}; ` +
  `node bin/tessera.js serve --host 127.0.0.1 --port <free port> --data-dir ${seed.dir}`;

Object.assign(targets, {
  'tessera-baseline': {
    name: 'tessera-baseline',
    kind: 'subject',
    optIn: true,
    description: 'Tessera from another build (BENCH_BASELINE_BIN, default this one) with BENCH_BASELINE_ENV added: before/after comparisons; ' +
      'with BENCH_BASELINE_REFERENCE=1 it runs each scenario\'s reference variant (plain client_credentials) for a paired feature-cost ratio',
    get reference() {
      return baselineIsReference();
    },
    expectFormat: 'jwt',
    grants: ALL_GRANTS,
    readiness: { type: 'http-get', path: HEALTH_PATH },
    needsTmpDir: true,
    display: 'node $BENCH_BASELINE_BIN serve --host 127.0.0.1 --port <free port> --data-dir <tmp>/data --import <tmp>/import.json',
    command: tessera('jwt', [], baselineBin, baselineEnv, baselineIsReference),
  },
  'tessera-workers2': {
    name: 'tessera-workers2',
    kind: 'subject',
    optIn: true,
    description: 'Tessera with `--workers 2` (node:cluster, two worker processes sharing the port), JWT access tokens',
    expectFormat: 'jwt',
    grants: ALL_GRANTS,
    readiness: { type: 'http-get', path: HEALTH_PATH },
    needsTmpDir: true,
    display: 'node bin/tessera.js serve --workers 2 --host 127.0.0.1 --port <free port> --data-dir <tmp>/data --import <tmp>/import.json',
    command: tessera('jwt', ['--workers', '2']),
  },
  // The workers comparison "when the load generator has a core of its own" (bench/lib/cgroup.mjs): each
  // server process tree is held to a CPU budget of one CPU unit per worker, leaving the load generator at
  // least one whole CPU outside it.
  'tessera-cpu1': {
    name: 'tessera-cpu1',
    kind: 'subject',
    optIn: true,
    description: 'Tessera, one worker, held to a CPU budget of one CPU unit (BENCH_CPU_UNIT; 0.5 CPU on a 2-CPU machine)',
    expectFormat: 'jwt',
    grants: ALL_GRANTS,
    readiness: { type: 'http-get', path: HEALTH_PATH },
    needsTmpDir: true,
    cpuBudgetUnits: 1,
    display: 'node bin/tessera.js serve --host 127.0.0.1 --port <free port> --data-dir <tmp>/data --import <tmp>/import.json, in a cgroup with a CFS quota of 1 CPU unit',
    command: tessera('jwt'),
  },
  'tessera-workers2-cpu2': {
    name: 'tessera-workers2-cpu2',
    kind: 'subject',
    optIn: true,
    description: 'Tessera with `--workers 2`, held to a CPU budget of two CPU units (one per worker)',
    expectFormat: 'jwt',
    grants: ALL_GRANTS,
    readiness: { type: 'http-get', path: HEALTH_PATH },
    needsTmpDir: true,
    cpuBudgetUnits: 2,
    display: 'node bin/tessera.js serve --workers 2 --host 127.0.0.1 --port <free port> --data-dir <tmp>/data --import <tmp>/import.json, in a cgroup with a CFS quota of 2 CPU units',
    command: tessera('jwt', ['--workers', '2']),
  },
  'tessera-store-1m': {
    name: 'tessera-store-1m',
    kind: 'subject',
    optIn: true,
    description: 'Tessera on a seeded SQLite store: 1,000,000 clients, 10,000,000 refresh tokens (1,000,000 families)',
    expectFormat: 'jwt',
    grants: ['client_credentials'],
    readiness: { type: 'http-get', path: HEALTH_PATH },
    seed: STORE_1M,
    display: seedDisplay(STORE_1M),
    command: tesseraSeeded(STORE_1M),
  },
  'tessera-store-1k': {
    name: 'tessera-store-1k',
    kind: 'subject',
    optIn: true,
    description: 'Tessera on a seeded SQLite store: 1,000 clients, 10,000 refresh tokens (same seeding script)',
    expectFormat: 'jwt',
    grants: ['client_credentials'],
    readiness: { type: 'http-get', path: HEALTH_PATH },
    seed: STORE_1K,
    display: seedDisplay(STORE_1K),
    command: tesseraSeeded(STORE_1K),
  },
});

export const targetNames = Object.keys(targets);
/** Targets run when --targets is not given (the opt-in variants need their own scenarios / seeded stores). */
export const defaultTargetNames = targetNames.filter((n) => !targets[n].optIn);
