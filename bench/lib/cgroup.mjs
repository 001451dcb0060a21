// CPU budgets for benchmark targets, from the kernel's CFS bandwidth control (cgroup v1 `cpu` controller or
// cgroup v2 `cpu.max`). Used by the workers comparison: issue 7 asks for `--workers 2` against one worker
// "when the load generator has a core of its own". On a 2-CPU machine two workers and the load generator
// cannot each have a CPU, so every worker gets the same budget (a "CPU unit", by default half a CPU on a
// 2-CPU machine and a whole CPU on a larger one) and the load generator keeps at least one whole CPU outside
// the budget. The budget caps the server's process tree (workers and their threads together) at
// units x unit CPUs of run time per period, whatever cores it runs on.
//
// A budget is one cgroup per server process: created before the spawn, the server is moved into it by a
// shell wrapper before it `exec`s (so cluster workers forked later inherit it), and removed after the server
// has exited. Needs write access to the cgroup filesystem (root, or a delegated subtree).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const V1_ROOT = '/sys/fs/cgroup/cpu';
const V2_ROOT = '/sys/fs/cgroup';
/** Short CFS periods keep each throttling pause short (a budget of 0.5 CPU stalls 5 ms at a time, not 50). */
const PERIOD_US = 10_000;
/** Budgets not yet removed, for the harness's last-resort cleanup. */
const live = new Set();

/** The CPUs one "unit" of budget stands for: one whole CPU when the load generator can still have one of its own. */
export function defaultCpuUnit(cpus = os.availableParallelism()) {
  const env = process.env.BENCH_CPU_UNIT;
  if (env !== undefined) {
    const n = Number(env);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`invalid BENCH_CPU_UNIT ${env}`);
    return n;
  }
  // Two units for the two workers, and one whole CPU left for the load generator.
  return Math.min(1, (cpus - 1) / 2);
}

/** Where budgets can be made: { version, root } or { reason } when this machine does not allow it. */
export function cpuBudgetSupport() {
  if (existsSync(path.join(V1_ROOT, 'cpu.cfs_quota_us'))) {
    return writable(V1_ROOT) ? { version: 1, root: V1_ROOT } : { reason: `${V1_ROOT} is not writable (run as root)` };
  }
  const controllers = readOr(path.join(V2_ROOT, 'cgroup.controllers'));
  if (controllers != null) {
    if (!controllers.split(/\s+/).includes('cpu')) return { reason: 'the cgroup v2 hierarchy has no cpu controller' };
    const subtree = readOr(path.join(V2_ROOT, 'cgroup.subtree_control')) ?? '';
    if (!subtree.split(/\s+/).includes('cpu')) {
      try {
        writeFileSync(path.join(V2_ROOT, 'cgroup.subtree_control'), '+cpu');
      } catch (err) {
        return { reason: `cannot enable the cpu controller for child cgroups (${err.code ?? err.message})` };
      }
    }
    return writable(V2_ROOT) ? { version: 2, root: V2_ROOT } : { reason: `${V2_ROOT} is not writable (run as root)` };
  }
  return { reason: 'no cgroup cpu controller mounted (/sys/fs/cgroup)' };
}

function readOr(file) {
  try { return readFileSync(file, 'utf8').trim(); } catch { return null; }
}

function writable(dir) {
  const probe = path.join(dir, `tessera-bench-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

/**
 * A cgroup limited to `cpus` CPUs of run time. Returns { cpus, dir, wrap(spec), stats(), remove() }:
 * wrap() turns a { command, args } spawn spec into one that joins the cgroup first; stats() reads how often the
 * budget was hit; remove() deletes the (by then empty) cgroup.
 */
export function createCpuBudget(name, cpus) {
  const support = cpuBudgetSupport();
  if (!support.root) throw new Error(`CPU budgets unavailable: ${support.reason}`);
  const dir = path.join(support.root, `tessera-bench-${process.pid}-${name}`);
  mkdirSync(dir);
  live.add(dir);
  const quota = Math.max(1000, Math.round(cpus * PERIOD_US));
  if (support.version === 1) {
    writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
    writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(quota));
  } else {
    writeFileSync(path.join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
  }
  const procs = path.join(dir, 'cgroup.procs');
  return {
    cpus,
    dir,
    wrap(spec) {
      // `sh -c '...' procs command args...`: $0 is the cgroup.procs path, "$@" the server command line.
      return { ...spec, command: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', procs, spec.command, ...spec.args] };
    },
    /** { periods, throttledPeriods, throttledMs } since creation. */
    stats() {
      const text = readOr(path.join(dir, 'cpu.stat')) ?? '';
      const field = (k) => Number(new RegExp(`^${k} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
      const throttled = support.version === 1 ? field('throttled_time') / 1e6 : field('throttled_usec') / 1e3;
      return { periods: field('nr_periods'), throttledPeriods: field('nr_throttled'), throttledMs: throttled };
    },
    remove() {
      removeDir(dir);
    },
  };
}

function removeDir(dir) {
  try {
    rmdirSync(dir);
    live.delete(dir);
  } catch { /* a process is still in it (it is killed by the caller first) */ }
}

/** Remove every budget this process created (after its processes were killed). */
export function removeAllBudgetsSync() {
  // A process killed a moment ago may not have left its cgroup yet: retry for up to ~0.5 s.
  for (let i = 0; i < 50 && live.size; i++) {
    for (const dir of [...live]) removeDir(dir);
    if (live.size) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}
