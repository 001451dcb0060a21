// Target registry. A target says how to start one server process on a given
// port and how to tell that it is ready. Every target gets a fresh process per
// measurement (per round, per sweep point).
import { existsSync } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEALTH_PATH } from './constants.mjs';

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

function tessera(accessTokenFormat) {
  return async ({ host, port, tmpDir, scenario }) => {
    // BENCH_TESSERA_BIN points at another CLI entry (e.g. an installed build).
    const bin = process.env.BENCH_TESSERA_BIN ? path.resolve(process.env.BENCH_TESSERA_BIN) : path.join(REPO_ROOT, 'bin', 'tessera.js');
    if (!existsSync(bin)) throw new Error(`${bin} not found`);
    const dataDir = path.join(tmpDir, 'data');
    await mkdir(dataDir, { recursive: true });
    const importFile = path.join(tmpDir, 'import.json');
    await writeFile(importFile, JSON.stringify(scenario.tesseraImport({ accessTokenFormat }), null, 2));
    return {
      command: process.execPath,
      args: [bin, 'serve', '--host', host, '--port', String(port), '--data-dir', dataDir, '--import', importFile, ...tesseraExtraArgs()],
      cwd: REPO_ROOT,
      env: tesseraEnv(scenario),
    };
  };
}

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

export const targetNames = Object.keys(targets);
