#!/usr/bin/env node
// The whole issue-7 benchmark suite: every scenario, each in its own `node bench/run.mjs` invocation
// (results bench/results/<date>-<step>.json), then one merged report (docs/benchmarks.md and
// bench/results/<date>.json) whose "Targets" table lists every target of the issue.
//
//   node bench/suite.mjs                 # everything, in priority order (~20 min on the 2-core box)
//   node bench/suite.mjs --only peers,users
//   node bench/suite.mjs --rounds 5      # more alternating rounds per step (medians), default 3
//   node bench/suite.mjs --quick         # smoke: 1 round of 3 s per step, no sweep, report not written
//   node bench/suite.mjs --merge-only    # re-merge today's step results into the report
//
// Steps (priority order):
//   peers    client_credentials + introspection, all default targets (Tessera JWT/opaque, oidc-provider
//            JWT/opaque, bare Fastify, bare node:http), 3 rounds, + concurrency sweep 1/8/32/128
//   users    refresh (SQLite), refresh_pg (fresh PostgreSQL database per process), password (200-user
//            pool), password_mixed (password + client_credentials beside it): Tessera only
//   store    client_credentials_many on the seeded 1,000,000-client vs 1,000-client stores (seeds them first
//            with bench/seed-large.mjs if needed; the seed is kept in /tmp and reused)
//   workers  client_credentials, Tessera --workers 2 vs 1: held to one CPU unit per worker (the load generator
//            keeps a CPU of its own) and unconstrained
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, REPO_ROOT } from './lib/targets.mjs';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean' },
    'merge-only': { type: 'boolean' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    'wait-idle': { type: 'string' },
  },
});

const quick = Boolean(values.quick);
const duration = values.duration ?? (quick ? '3' : '8');
const common = ['--duration', duration, '--wait-idle', values['wait-idle'] ?? (quick ? '2' : '5'), '--retry-noisy', '0', '--no-docs', ...(quick ? ['--quick'] : ['--rounds', values.rounds ?? '3'])];

const STORES = [
  ['/tmp/tessera-bench-store-1m', '1000000', '10000000'],
  ['/tmp/tessera-bench-store-1k', '1000', '10000'],
];

const STEPS = {
  peers: ['--scenarios', 'client_credentials,introspection', ...(quick ? [] : ['--sweep', '--sweep-duration', '5'])],
  users: ['--targets', 'tessera', '--scenarios', 'refresh,password,password_mixed,refresh_pg'],
  store: ['--targets', 'tessera-store-1m,tessera-store-1k', '--scenarios', 'client_credentials_many'],
  // One worker vs two, each held to one CPU unit per worker so the load generator keeps a CPU of its own (the
  // issue's condition; bench/lib/cgroup.mjs), and both unconstrained on the whole machine (for information).
  workers: ['--targets', 'tessera-cpu1,tessera-workers2-cpu2,tessera,tessera-workers2', '--scenarios', 'client_credentials'],
};

const only = values.only ? values.only.split(',') : Object.keys(STEPS);
for (const s of only) if (!STEPS[s]) throw new Error(`unknown step ${s} (known: ${Object.keys(STEPS).join(', ')})`);
const date = new Date().toISOString().slice(0, 10);
const resultFile = (step) => path.join(BENCH_DIR, 'results', `${date}-${step}${quick ? '-quick' : ''}.json`);

function run(args) {
  console.log(`\n$ node ${args.map((a) => (/[\s,]/.test(a) && !a.startsWith('--') ? JSON.stringify(a) : a)).join(' ')}`);
  execFileSync(process.execPath, args, { cwd: REPO_ROOT, stdio: 'inherit' });
}

if (!values['merge-only']) {
  for (const step of only) {
    if (step === 'store') {
      for (const [dir, clients, tokens] of STORES) run(['bench/seed-large.mjs', '--data-dir', dir, '--clients', clients, '--refresh-tokens', tokens]);
    }
    run(['bench/run.mjs', ...STEPS[step], ...common, '--tag', step]);
  }
}

if (!quick) {
  const files = Object.keys(STEPS).map(resultFile).filter((f) => existsSync(f));
  if (files.length) run(['bench/run.mjs', '--from', files.map((f) => path.relative(REPO_ROOT, f)).join(',')]);
}
