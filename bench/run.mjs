#!/usr/bin/env node
// Tessera benchmark harness (issue 7). Not part of `npm test`.
//
//   npm run bench                      # all targets, 3 rounds x 10 s, concurrency sweep
//   node bench/run.mjs --quick         # smoke: 3 s, 1 round, no sweep, no docs
//   node bench/run.mjs --targets bare-fastify,oidc-provider-jwt --duration 5 --rounds 3 --sweep
//   node bench/run.mjs --help
//
// Bench-only dependencies live in bench/package.json:
//   cd bench && npm install --no-audit --no-fund --workspaces=false
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';

import { targets, targetNames, defaultTargetNames, BENCH_DIR, REPO_ROOT, tesseraEnv } from './lib/targets.mjs';
import { scenarios, scenarioNames, SetupError } from './lib/scenarios.mjs';
import { freePort, startProcess, stopProcess, killAllSync, outputTail, sleep, treeRssKb } from './lib/proc.mjs';
import { SkipError, postForm, getStatus, describe } from './lib/http.mjs';
import { REQUEST_SCOPE, TOKEN_PATH } from './lib/constants.mjs';
import { clockTicks, cpuSupported, hostCpuSeconds } from './lib/cpu.mjs';
import { summarize, ratios } from './lib/stats.mjs';
import { printScenario, printSweep, printTargets, renderBenchmarksDoc } from './lib/report.mjs';
import { renderSweepChart } from './lib/svg-chart.mjs';
import { formatSummary, loadProfile, summarize as summarizeProfile } from './lib/cpuprofile.mjs';
import { createCpuBudget, defaultCpuUnit, removeAllBudgetsSync } from './lib/cgroup.mjs';

const HOST = '127.0.0.1';
/** A window where other processes used more than this many cores is "noisy". */
const NOISY_CORES = 0.25;
const log = (...a) => console.log(...a);

// ------------------------------------------------------------------ options

const USAGE = `Usage: node bench/run.mjs [options]

  --targets a,b,...      targets to run (default: ${defaultTargetNames.join(',')})  env BENCH_TARGETS
                         all: ${targetNames.join(', ')}
  --scenarios a,b,...    scenarios (default: client_credentials)  env BENCH_SCENARIOS
                         ${scenarioNames.join(', ')}
  --duration S           measured seconds per run (default 10)    env BENCH_DURATION
  --warmup S             warm-up seconds, not counted (default 2) env BENCH_WARMUP
  --rounds N             alternating rounds, medians reported (default 3)  env BENCH_ROUNDS
  --connections N        connections for the main table (default 32)       env BENCH_CONNECTIONS
  --sweep / --no-sweep   concurrency sweep for the chart (default: on, off with --quick)  env BENCH_SWEEP=1|0
  --sweep-levels a,b     sweep connection counts (default 1,8,32,128)      env BENCH_SWEEP_LEVELS
  --sweep-duration S     measured seconds per sweep point (default: --duration)  env BENCH_SWEEP_DURATION
  --sweep-targets a,b    targets in the sweep (default: --targets)  env BENCH_SWEEP_TARGETS
  --quick                duration 3, warm-up 1, 1 round, no sweep, no docs
  --pin                  pin server to CPU 1 and load generator to CPU 0 (taskset)  env BENCH_PIN=1
  --ready-timeout S      max seconds for a target to become ready (default 30)
  --retry-noisy N        re-measure a run up to N times when other processes used more than
                         0.25 cores during its window (default 1, quick 0)  env BENCH_RETRY_NOISY
  --wait-idle S          before each run, wait up to S seconds for other processes on the
                         host to go quiet (default 30, quick 5; 0 = never wait)  env BENCH_WAIT_IDLE
  --max-time S           hard limit for the whole run (default: computed)
  --out DIR              results directory (default bench/results)
  --tag NAME             suffix for result file names
  --docs PATH            markdown report (default docs/benchmarks.md)
  --no-docs              do not (re)write the markdown report
  --from FILE[,FILE...]  do not measure: re-render the chart and the markdown report from results
                         JSON written earlier; several files are merged into one report (scenarios
                         of all files; the first sweep found) and written as <date>.json
  --cpu-prof DIR         run every Node target under \`node --cpu-prof\` (profiles in DIR) and print
                         where its main thread spent the time (self and inclusive, µs per request)
  --debug                echo target output, print one token per target
  --list                 list targets and scenarios
  -h, --help`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      targets: { type: 'string' },
      scenarios: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      sweep: { type: 'boolean' },
      'no-sweep': { type: 'boolean' },
      'sweep-levels': { type: 'string' },
      'sweep-duration': { type: 'string' },
      'sweep-targets': { type: 'string' },
      quick: { type: 'boolean' },
      pin: { type: 'boolean' },
      'ready-timeout': { type: 'string' },
      'wait-idle': { type: 'string' },
      'retry-noisy': { type: 'string' },
      'max-time': { type: 'string' },
      out: { type: 'string' },
      tag: { type: 'string' },
      docs: { type: 'string' },
      'no-docs': { type: 'boolean' },
      debug: { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      from: { type: 'string' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  const env = process.env;
  const pick = (flag, envName, fallback) => values[flag] ?? env[envName] ?? fallback;
  const num = (flag, envName, fallback, { min = 0, int = false } = {}) => {
    const raw = pick(flag, envName, undefined);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) throw new Error(`invalid --${flag} ${raw}`);
    return n;
  };
  const list = (raw, known, what) => {
    const items = String(raw).split(',').map((s) => s.trim()).filter(Boolean);
    for (const i of items) if (!known.includes(i)) throw new Error(`unknown ${what} "${i}" (known: ${known.join(', ')})`);
    return items;
  };
  const quick = Boolean(values.quick);
  const envSweep = env.BENCH_SWEEP === undefined ? undefined : !/^(0|false|no|)$/i.test(env.BENCH_SWEEP);
  const sweep = values['no-sweep'] ? false : values.sweep ? true : envSweep ?? !quick;
  const duration = num('duration', 'BENCH_DURATION', quick ? 3 : 10, { min: 1 });
  const opts = {
    help: values.help,
    list: values.list,
    from: values.from,
    quick,
    targets: list(pick('targets', 'BENCH_TARGETS', defaultTargetNames.join(',')), targetNames, 'target'),
    sweepTargets: values['sweep-targets'] ?? env.BENCH_SWEEP_TARGETS ?? null,
    scenarios: list(pick('scenarios', 'BENCH_SCENARIOS', 'client_credentials'), scenarioNames, 'scenario'),
    duration,
    warmup: num('warmup', 'BENCH_WARMUP', quick ? 1 : 2),
    rounds: num('rounds', 'BENCH_ROUNDS', quick ? 1 : 3, { min: 1, int: true }),
    connections: num('connections', 'BENCH_CONNECTIONS', 32, { min: 1, int: true }),
    sweep,
    sweepLevels: String(pick('sweep-levels', 'BENCH_SWEEP_LEVELS', '1,8,32,128')).split(',').map(Number),
    sweepDuration: num('sweep-duration', 'BENCH_SWEEP_DURATION', duration, { min: 1 }),
    pin: Boolean(values.pin || /^(1|true|yes)$/i.test(env.BENCH_PIN ?? '')),
    readyTimeout: num('ready-timeout', 'BENCH_READY_TIMEOUT', 30, { min: 1 }),
    waitIdle: num('wait-idle', 'BENCH_WAIT_IDLE', quick ? 5 : 30),
    retryNoisy: num('retry-noisy', 'BENCH_RETRY_NOISY', quick ? 0 : 1, { int: true }),
    maxTime: values['max-time'] === undefined ? null : num('max-time', 'BENCH_MAX_TIME', null, { min: 10 }),
    out: path.resolve(values.out ?? path.join(BENCH_DIR, 'results')),
    tag: values.tag ?? env.BENCH_TAG ?? '',
    docs: path.resolve(values.docs ?? path.join(REPO_ROOT, 'docs', 'benchmarks.md')),
    writeDocs: !values['no-docs'] && (!quick || values.docs !== undefined || values.from !== undefined),
    debug: Boolean(values.debug || /^(1|true|yes)$/i.test(env.BENCH_DEBUG ?? '')),
    cpuProf: values['cpu-prof'] ? path.resolve(values['cpu-prof']) : null,
  };
  if (opts.sweepLevels.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('invalid --sweep-levels');
  opts.sweepTargets = opts.sweepTargets ? list(opts.sweepTargets, targetNames, 'target') : opts.targets;
  return opts;
}

// ------------------------------------------------------------------ cleanup

const tmpDirs = new Set();
function cleanupSync() {
  killAllSync();
  removeAllBudgetsSync();
  for (const d of tmpDirs) {
    try { rmSync(d, { recursive: true, force: true }); } catch { /* ignore */ }
  }
  tmpDirs.clear();
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping targets and exiting`);
    cleanupSync();
    process.exit(130);
  });
}
process.on('uncaughtException', (err) => {
  console.error('bench: uncaught exception:', err);
  cleanupSync();
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  console.error('bench: unhandled rejection:', err);
  cleanupSync();
  process.exit(1);
});

// ------------------------------------------------------------------ helpers

function readVersion(pkg) {
  for (const base of [path.join(BENCH_DIR, 'node_modules'), path.join(REPO_ROOT, 'node_modules')]) {
    const file = path.join(base, pkg, 'package.json');
    if (existsSync(file)) {
      try { return JSON.parse(readFileSync(file, 'utf8')).version; } catch { /* ignore */ }
    }
  }
  return null;
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cpuCount: cpus.length,
    cpuSpeedMHz: cpus[0]?.speed ?? null,
    totalMemBytes: os.totalmem(),
    freeMemBytesAtStart: os.freemem(),
    loadavgAtStart: os.loadavg(),
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
  };
}

function hasTaskset() {
  try { execSync('command -v taskset', { stdio: 'ignore', shell: '/bin/sh', timeout: 5000 }); return true; } catch { return false; }
}

async function waitReady(proc, target, baseUrl, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  let last = 'no response';
  while (Date.now() < deadline) {
    if (proc.exited) {
      const why = proc.spawnError ? proc.spawnError.message : `exited with ${proc.signal ?? `code ${proc.exitCode}`}`;
      const tail = outputTail(proc);
      const hint = /Cannot find module .*dist\//.test(tail) ? ' (not built: run `npm run build`)' : '';
      throw new SkipError(`process ${why}${tail ? `: ${tail}` : ''}${hint}`);
    }
    try {
      if (target.readiness.type === 'http-get') {
        const status = await getStatus(baseUrl, target.readiness.path, { timeoutMs: 2000 });
        if (status === 200) return;
        last = `GET ${target.readiness.path} answered ${status}`;
      } else {
        const res = await postForm(baseUrl, TOKEN_PATH, { grant_type: 'client_credentials', scope: REQUEST_SCOPE }, { timeoutMs: 2000 });
        if (res.status === 200) return;
        throw new SetupError(`readiness token request answered ${describe(res)}`);
      }
    } catch (err) {
      if (err instanceof SetupError) throw err;
      last = err.cause?.code ?? err.code ?? err.message;
    }
    await sleep(20);
  }
  throw new SkipError(`not ready within ${deadlineMs / 1000}s (${target.readiness.type === 'http-get' ? `GET ${target.readiness.path}` : 'token request'}: ${last})`);
}

/**
 * Wait (bounded) until the host is quiet: busy CPU over a 1 s sample below
 * 0.25 cores. Other people's test runs on a 2-core box ruin measurements.
 */
async function waitForQuietHost(maxSeconds) {
  if (!(maxSeconds > 0) || !hostCpuSeconds()) return null;
  const deadline = Date.now() + maxSeconds * 1000;
  let announced = false;
  for (;;) {
    const a = hostCpuSeconds();
    await sleep(1000);
    const b = hostCpuSeconds();
    const busy = b.busy - a.busy;
    if (busy < 0.25) return busy;
    if (Date.now() >= deadline) {
      log(`    ! host still busy (${busy.toFixed(2)} cores used by other processes) after ${maxSeconds}s; measuring anyway`);
      return busy;
    }
    if (!announced) {
      log(`    (host busy: ${busy.toFixed(2)} cores used by other processes; waiting up to ${maxSeconds}s)`);
      announced = true;
    }
  }
}

const fmtRun = (m) =>
  `start ${Math.round(m.startupMs)} ms  RSS ${m.rssKb ? Math.round(m.rssKb / 1024) : '–'} MB  ` +
  `${Math.round(m.rps).toLocaleString('en-US')} req/s  p50 ${m.latencyMs.p50?.toFixed(2)} ms  p99 ${m.latencyMs.p99?.toFixed(2)} ms  ` +
  `errors ${m.errors}  cpu ${Math.round(m.cpuUsPerReq ?? NaN)} µs/req (server ${(m.serverCpu.utilization * 100).toFixed(0)}% of a core)`;

/**
 * The main-thread profile of one run (written when the target exits). It covers start-up, setup and warm-up too;
 * under load those are a small share. "µs/req" scales each share of busy time by the run's server CPU per request.
 */
async function reportProfile(profDir, m) {
  let files = [];
  try { files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')); } catch { /* none written */ }
  if (!files.length) {
    log(`    ! no CPU profile in ${path.relative(process.cwd(), profDir)} (the target did not exit cleanly)`);
    return;
  }
  for (const f of files) {
    const s = summarizeProfile(loadProfile(path.join(profDir, f)), REPO_ROOT);
    const perReqScale = m.cpuUsPerReq ? m.cpuUsPerReq / s.busyUs : null;
    const text = formatSummary(s, { scale: perReqScale, limit: 40 });
    await writeFile(path.join(profDir, f.replace(/\.cpuprofile$/, '.txt')), text + '\n');
    log(`    profile ${path.relative(process.cwd(), path.join(profDir, f))}\n${text.split('\n').slice(0, 60).map((l) => `      ${l}`).join('\n')}`);
  }
}

// ------------------------------------------------------------------ main

async function main() {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`bench: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (opts.help) { log(USAGE); return; }
  if (opts.list) {
    log('targets:');
    for (const t of Object.values(targets)) log(`  ${t.name.padEnd(22)} ${t.description}`);
    log('scenarios:');
    for (const s of Object.values(scenarios)) log(`  ${s.name.padEnd(22)} ${s.endpoint}`);
    return;
  }

  if (opts.from) {
    const files = opts.from.split(',').map((f) => path.resolve(f.trim())).filter(Boolean);
    const loaded = files.map((file) => ({ file, data: JSON.parse(readFileSync(file, 'utf8')) }));
    const merged = loaded.length > 1;
    const results = merged ? mergeResults(loaded) : loaded[0].data;
    const date = results.meta.startedAt.slice(0, 10);
    const base = merged ? `${date}${opts.tag ? `-${opts.tag}` : ''}` : path.basename(files[0], '.json');
    opts.out = path.dirname(files[0]);
    if (merged) results.meta.resultFile = `${base}.json`;
    results.meta.resultsPath = path.relative(REPO_ROOT, opts.out).split(path.sep).join('/');
    results.meta.resultsLink = path.relative(path.dirname(opts.docs), opts.out).split(path.sep).join('/');
    for (const sc of Object.values(results.scenarios)) printScenario(sc, log);
    printSweep(results.sweep, log);
    printTargets(results, log);
    await writeOutputs(results, opts, base, date, { json: merged });
    return;
  }

  let measure;
  try {
    ({ measure } = await import('./lib/load.mjs'));
  } catch (err) {
    console.error(`bench: cannot load autocannon (${err.message}).\nInstall the bench dependencies first:\n  cd bench && npm install --no-audit --no-fund --workspaces=false`);
    process.exit(1);
  }
  if (!cpuSupported()) console.error('bench: /proc not available: server CPU time will be reported as 0');

  if (opts.pin) {
    if (os.cpus().length < 2 || !hasTaskset()) {
      console.error('bench: --pin needs taskset and >= 2 CPUs; continuing unpinned');
      opts.pin = false;
    } else {
      execSync(`taskset -a -p -c 0 ${process.pid}`, { stdio: 'ignore', timeout: 5000 });
    }
  }

  // Hard limit for the whole run.
  const perRun = (d) => 3 + opts.warmup + d + 3;
  const nRuns = opts.scenarios.length * opts.rounds * opts.targets.length;
  const nSweep = opts.sweep ? opts.sweepLevels.length * opts.sweepTargets.length : 0;
  const estimate = nRuns * perRun(opts.duration) + nSweep * perRun(opts.sweepDuration);
  const maxTime = opts.maxTime ?? Math.ceil((estimate * 2 + (nRuns + nSweep) * opts.waitIdle) * (1 + opts.retryNoisy) + 120);
  setTimeout(() => {
    console.error(`bench: hard time limit of ${maxTime}s reached, stopping`);
    cleanupSync();
    process.exit(3);
  }, maxTime * 1000).unref();

  const startedAt = new Date();
  const date = startedAt.toISOString().slice(0, 10);
  const base = `${date}${opts.tag ? `-${opts.tag}` : ''}${opts.quick ? '-quick' : ''}`;
  const meta = {
    startedAt: startedAt.toISOString(),
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    quick: opts.quick,
    resultFile: `${base}.json`,
    // Links in the markdown report are relative to the report's directory.
    resultsPath: path.relative(REPO_ROOT, opts.out).split(path.sep).join('/'),
    resultsLink: path.relative(path.dirname(opts.docs), opts.out).split(path.sep).join('/'),
    node: process.version,
    machine: machineInfo(),
    clockTicksPerSecond: clockTicks(),
    versions: {
      autocannon: readVersion('autocannon'),
      'oidc-provider': readVersion('oidc-provider'),
      fastify: readVersion('fastify'),
    },
    options: { ...opts, out: path.relative(REPO_ROOT, opts.out), docs: path.relative(REPO_ROOT, opts.docs) },
    targets: Object.fromEntries([...new Set([...opts.targets, ...(opts.sweep ? opts.sweepTargets : [])])].map((n) => [n, {
      name: n,
      description: targets[n].description,
      command: targets[n].display,
      env: targets[n].kind === 'subject' ? Object.fromEntries(opts.scenarios.map((sc) => [sc, tesseraEnv(scenarios[sc])])) : { NODE_ENV: 'production' },
      expectFormat: targets[n].expectFormat,
    }])),
    estimatedSeconds: estimate,
  };

  log(`Tessera bench: targets ${opts.targets.join(', ')}; scenarios ${opts.scenarios.join(', ')}`);
  log(`${opts.rounds} round(s) x ${opts.duration}s (+${opts.warmup}s warm-up) at ${opts.connections} connections` +
    `${opts.sweep ? `; sweep ${opts.sweepLevels.join('/')} at ${opts.sweepDuration}s` : ''}; ~${Math.round(estimate)}s, hard limit ${maxTime}s`);
  log(`machine: ${meta.machine.cpuModel} x${meta.machine.cpuCount}, ${(meta.machine.totalMemBytes / 2 ** 30).toFixed(1)} GiB, node ${process.version}${opts.pin ? ', pinned' : ''}`);

  /** Targets that could not start: "target|scenario" -> reason (not retried for that scenario). */
  const dead = new Map();

  async function runOne({ target, scenario, connections, duration, round, label }) {
    const base = { round, target: target.name, scenario: scenario.name, connections };
    // Start failures are remembered per target and scenario (the import document differs per scenario).
    const deadKey = `${target.name}|${scenario.name}`;
    if (dead.has(deadKey)) return { ...base, skipped: true, reason: dead.get(deadKey), quiet: true };
    if (scenario.supports && !scenario.supports(target)) {
      const reason = target.seed || scenario.name === 'client_credentials_many'
        ? `${target.name} does not run the ${scenario.name} scenario (seeded-store targets run only client_credentials_many)`
        : `${target.name} does not support the ${scenario.name} scenario (grants: ${target.grants.join(', ')})`;
      log(`SKIPPED ${target.name}/${scenario.name}: ${reason}`);
      return { ...base, skipped: true, reason };
    }
    const idleBusyCores = await waitForQuietHost(opts.waitIdle);
    const port = await freePort(HOST);
    const baseUrl = `http://${HOST}:${port}`;
    let tmpDir = null;
    let proc = null;
    let started = false;
    let cleanup = null;
    let budget = null;
    try {
      if (target.needsTmpDir) {
        tmpDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-bench-'));
        tmpDirs.add(tmpDir);
      }
      let spec;
      try {
        spec = await target.command({ host: HOST, port, tmpDir, scenario });
      } catch (err) {
        throw new SkipError(err.message);
      }
      cleanup = spec.cleanup ?? null;
      let profDir = null;
      if (opts.cpuProf && spec.command === process.execPath) {
        profDir = path.join(opts.cpuProf, `${target.name}-${scenario.name}-${label}`);
        await rm(profDir, { recursive: true, force: true });
        spec = { ...spec, args: ['--cpu-prof', '--cpu-prof-dir', profDir, ...spec.args] };
      }
      if (opts.pin) spec = { ...spec, command: 'taskset', args: ['-c', '1', spec.command, ...spec.args] };
      if (target.cpuBudgetUnits) {
        try {
          budget = createCpuBudget(`${target.name}-${label}`, target.cpuBudgetUnits * defaultCpuUnit());
        } catch (err) {
          throw new SkipError(err.message);
        }
        spec = budget.wrap(spec);
      }
      const spawnedAt = performance.now();
      proc = startProcess({ name: target.name, command: spec.command, args: spec.args, cwd: spec.cwd, env: spec.env, echo: opts.debug });
      await waitReady(proc, target, baseUrl, opts.readyTimeout * 1000);
      const startupMs = performance.now() - spawnedAt;
      started = true;
      const ctx = { baseUrl, target, connections, debug: opts.debug && round === 1, log };
      const state = await scenario.setup(ctx);
      const m = await measure({
        url: baseUrl,
        serverPid: proc.child.pid,
        connections,
        duration,
        warmup: opts.warmup,
        requests: () => scenario.requests(state, ctx),
        beforeRun: scenario.beforeRun ? (phase) => scenario.beforeRun(state, ctx, phase) : undefined,
        side: scenario.side ? scenario.side(state, ctx) : undefined,
      });
      if (proc.exited) throw new SetupError(`target exited during the run: ${outputTail(proc)}`);
      if (scenario.report) m.scenarioReport = scenario.report(state);
      m.startupMs = startupMs;
      m.rssKb = treeRssKb(proc.child.pid);
      if (budget) m.cpuBudget = { cpus: budget.cpus, ...budget.stats() };
      if (spec.database) m.database = spec.database;
      if (spec.seedCounts) m.seedCounts = spec.seedCounts;
      log(`  ${label} ${target.name.padEnd(22)} ${fmtRun(m)}`);
      if (m.side) log(`    + beside: ${m.side.label} ${Math.round(m.side.rps).toLocaleString('en-US')} req/s  p50 ${m.side.latencyMs.p50?.toFixed(2)} ms  p99 ${m.side.latencyMs.p99?.toFixed(2)} ms  errors ${m.side.errors}`);
      if (m.host && (m.host.otherCores > NOISY_CORES || m.host.stealCores > 0.05)) {
        log(`    ! noisy host: other processes used ${m.host.otherCores.toFixed(2)} cores, steal ${m.host.stealCores.toFixed(2)} cores during the window`);
      }
      if (m.errors) log(`    ! ${m.errors} errors: status codes ${JSON.stringify(m.statusCodes)}, socket errors ${m.socketErrors}, timeouts ${m.timeouts}`);
      if (profDir) {
        await stopProcess(proc);
        await reportProfile(profDir, m);
      }
      return { ...base, ...m, idleBusyCoresBeforeStart: idleBusyCores, token: state.token ?? null };
    } catch (err) {
      const failed = !(err instanceof SkipError);
      const reason = err instanceof SkipError || err instanceof SetupError ? err.message : `${err.name}: ${err.message}`;
      if (!started) dead.set(deadKey, reason);
      log(`${failed ? 'FAILED' : 'SKIPPED'} ${target.name}${scenario.name !== 'client_credentials' ? `/${scenario.name}` : ''}: ${reason}`);
      return { ...base, skipped: true, failed, reason, startFailed: !started };
    } finally {
      if (proc) await stopProcess(proc);
      if (budget) budget.remove();
      if (cleanup) await cleanup().catch((err) => log(`    ! cleanup of ${target.name} failed: ${err.message}`));
      if (tmpDir) {
        await rm(tmpDir, { recursive: true, force: true }).catch(() => {});
        tmpDirs.delete(tmpDir);
      }
    }
  }

  /** runOne, re-measured (bounded) when the host was noisy during the window. */
  async function runMeasured(args) {
    let r = await runOne(args);
    for (let retry = 1; retry <= opts.retryNoisy && !r.skipped && r.host && r.host.otherCores > NOISY_CORES; retry++) {
      log(`    ↻ re-measuring ${args.target.name} (noisy window, retry ${retry}/${opts.retryNoisy})`);
      const again = await runOne(args);
      if (again.skipped) break;
      again.retries = retry;
      again.discardedNoisy = [...(r.discardedNoisy ?? []), { rps: r.rps, cpuUsPerReq: r.cpuUsPerReq, otherCores: r.host.otherCores }];
      // keep the quieter of the two measurements
      r = again.host && again.host.otherCores <= r.host.otherCores ? again : { ...r, discardedNoisy: [...(r.discardedNoisy ?? []), { rps: again.rps, cpuUsPerReq: again.cpuUsPerReq, otherCores: again.host?.otherCores }] };
    }
    return r;
  }

  const results = { meta, scenarios: {}, sweep: null };

  for (const scName of opts.scenarios) {
    const scenario = scenarios[scName];
    const sc = { name: scName, connections: opts.connections, rounds: opts.rounds, duration: opts.duration, warmup: opts.warmup, runs: [], summary: {}, ratios: [], skipped: [], tokenFormats: {} };
    results.scenarios[scName] = sc;
    const scenarioSkip = new Map();
    for (let round = 1; round <= opts.rounds; round++) {
      log(`\n[${scName}] round ${round}/${opts.rounds}`);
      for (const name of opts.targets) {
        if (scenarioSkip.has(name)) continue;
        const r = await runMeasured({ target: targets[name], scenario, connections: opts.connections, duration: opts.duration, round, label: `r${round}` });
        sc.runs.push(r);
        if (r.skipped) scenarioSkip.set(name, r);
      }
    }
    for (const name of opts.targets) {
      const runs = sc.runs.filter((r) => r.target === name && !r.skipped);
      sc.summary[name] = summarize(runs);
      if (runs[0]?.token) sc.tokenFormats[name] = runs[0].token;
      if (!runs.length && scenarioSkip.has(name)) {
        const s = scenarioSkip.get(name);
        sc.skipped.push({ target: name, reason: s.reason, failed: Boolean(s.failed) });
      }
    }
    sc.ratios = ratios(sc.summary, sc.runs);
    for (const r of sc.runs) delete r.quiet;
  }

  if (opts.sweep) {
    const scenario = scenarios[opts.scenarios[0]];
    const sweep = { scenario: scenario.name, levels: opts.sweepLevels, duration: opts.sweepDuration, warmup: opts.warmup, points: [], skipped: [], chart: null };
    results.sweep = sweep;
    for (const c of opts.sweepLevels) {
      log(`\n[sweep ${scenario.name}] ${c} connection(s)`);
      for (const name of opts.sweepTargets) {
        if (sweep.skipped.some((s) => s.target === name && !s.failed)) continue;
        const r = await runMeasured({ target: targets[name], scenario, connections: c, duration: opts.sweepDuration, round: 1, label: `c${c}` });
        if (r.skipped) {
          if (!r.quiet) sweep.skipped.push({ target: name, connections: c, reason: r.reason, failed: Boolean(r.failed) });
          continue;
        }
        sweep.points.push({ target: name, connections: c, rps: r.rps, p50: r.latencyMs.p50, p99: r.latencyMs.p99, cpuUsPerReq: r.cpuUsPerReq, errors: r.errors, otherCores: r.host?.otherCores ?? null, run: r });
      }
    }
  }

  results.meta.finishedAt = new Date().toISOString();
  results.meta.elapsedSeconds = (Date.now() - startedAt.getTime()) / 1000;

  for (const sc of Object.values(results.scenarios)) sc.command = meta.command;
  for (const sc of Object.values(results.scenarios)) printScenario(sc, log);
  printSweep(results.sweep, log);
  printTargets(results, log);

  await writeOutputs(results, opts, base, date);
}

/**
 * Several results files -> one report: all scenarios (a scenario measured in two runs appears twice, keyed
 * name@file), the first sweep, the union of targets; meta from the first file plus the list of sources.
 */
function mergeResults(loaded) {
  const first = loaded[0].data;
  const meta = structuredClone(first.meta);
  meta.sources = loaded.map(({ file, data }) => ({ file: path.basename(file), command: data.meta.command, startedAt: data.meta.startedAt, finishedAt: data.meta.finishedAt }));
  meta.targets = Object.assign({}, ...loaded.map(({ data }) => data.meta.targets));
  meta.quick = loaded.every(({ data }) => data.meta.quick);
  meta.finishedAt = loaded.at(-1).data.meta.finishedAt;
  const scenariosOut = {};
  let sweep = null;
  for (const { file, data } of loaded) {
    for (const [key, sc] of Object.entries(data.scenarios)) {
      const entry = { ...sc, command: sc.command ?? data.meta.command, source: path.basename(file) };
      scenariosOut[scenariosOut[key] ? `${key}@${path.basename(file, '.json')}` : key] = entry;
    }
    if (!sweep && data.sweep) sweep = structuredClone(data.sweep);
  }
  return { meta, scenarios: scenariosOut, sweep };
}

/** Chart, results JSON and markdown report. */
async function writeOutputs(results, opts, base, date, { json = true } = {}) {
  await mkdir(opts.out, { recursive: true });
  if (results.sweep?.points.length) {
    const chartFile = `${base}-concurrency.svg`;
    const m = results.meta.machine;
    const svg = renderSweepChart({
      title: `Tessera bench — ${results.sweep.scenario}, throughput and p99 vs concurrency`,
      subtitle: `${date} · ${m.cpuModel} ×${m.cpuCount} · node ${results.meta.node} · ${results.sweep.duration}s per point · load generator on the same host`,
      points: results.sweep.points,
    });
    await writeFile(path.join(opts.out, chartFile), svg);
    results.sweep.chart = chartFile;
    log(`\nchart:   ${path.relative(REPO_ROOT, path.join(opts.out, chartFile))}`);
  }
  if (json) {
    const jsonFile = path.join(opts.out, `${base}.json`);
    await writeFile(jsonFile, JSON.stringify(results, null, 2) + '\n');
    log(`results: ${path.relative(REPO_ROOT, jsonFile)}`);
  }
  if (opts.writeDocs) {
    await mkdir(path.dirname(opts.docs), { recursive: true });
    const previous = existsSync(opts.docs) ? readFileSync(opts.docs, 'utf8') : null;
    await writeFile(opts.docs, renderBenchmarksDoc(results, undefined, { previous }));
    log(`docs:    ${path.relative(REPO_ROOT, opts.docs)}`);
  }
}

main().then(
  () => { cleanupSync(); process.exit(0); },
  (err) => { console.error('bench:', err); cleanupSync(); process.exit(1); },
);
