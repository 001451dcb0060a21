// Child-process management for benchmark targets: free ports, spawning,
// readiness, bounded shutdown, and cleanup of everything this harness started.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';

/** Children started by this process that may still be alive: pid -> ChildProcess. */
const live = new Map();

/** Ask the kernel for a free TCP port on host (listen on :0, read, close). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const TAIL_BYTES = 8 * 1024;

/**
 * Spawn a target. Output is kept as a bounded tail (for SKIPPED reasons and
 * debugging) and optionally echoed with a prefix.
 */
export function startProcess({ name, command, args, cwd, env, echo = false }) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = { name, child, stdout: '', stderr: '', exited: false, exitCode: null, signal: null, spawnError: null };
  const keep = (key) => (chunk) => {
    const text = chunk.toString('utf8');
    state[key] = (state[key] + text).slice(-TAIL_BYTES);
    if (echo) for (const line of text.split('\n')) if (line.trim()) process.stderr.write(`  [${name}:${key}] ${line}\n`);
  };
  child.stdout.on('data', keep('stdout'));
  child.stderr.on('data', keep('stderr'));
  state.exitPromise = new Promise((resolve) => {
    child.on('error', (err) => {
      state.spawnError = err;
      state.exited = true;
      live.delete(child.pid);
      resolve();
    });
    child.on('exit', (code, signal) => {
      state.exited = true;
      state.exitCode = code;
      state.signal = signal;
      live.delete(child.pid);
      resolve();
    });
  });
  if (child.pid) live.set(child.pid, child);
  return state;
}

/** Last non-empty lines of a process' stderr (or stdout) for error messages. */
export function outputTail(state, lines = 3) {
  const text = (state.stderr.trim() || state.stdout.trim());
  const kept = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^oidc-provider (WARNING|NOTICE)/.test(l));
  return kept.slice(-lines).join(' | ');
}

/** All descendant pids of pid (children, grandchildren...), from /proc. */
export function descendants(pid) {
  const byParent = new Map();
  let entries;
  try { entries = readdirSync('/proc'); } catch { return []; }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat;
    try { stat = readFileSync(`/proc/${e}/stat`, 'utf8'); } catch { continue; }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    if (!byParent.has(ppid)) byParent.set(ppid, []);
    byParent.get(ppid).push(Number(e));
  }
  const out = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    for (const c of byParent.get(p) || []) { out.push(c); queue.push(c); }
  }
  return out;
}

function tryKill(pid, signal) {
  try { process.kill(pid, signal); return true; } catch { return false; }
}

/**
 * Stop a target: SIGTERM to its pid, wait up to graceMs, then SIGKILL. Any
 * descendants it left behind (e.g. cluster workers) are killed by pid too.
 */
export async function stopProcess(state, graceMs = 3000) {
  const { child } = state;
  if (!child.pid) return;
  const kids = descendants(child.pid);
  if (!state.exited) {
    tryKill(child.pid, 'SIGTERM');
    const timer = new Promise((r) => setTimeout(r, graceMs).unref());
    await Promise.race([state.exitPromise, timer]);
    if (!state.exited) {
      tryKill(child.pid, 'SIGKILL');
      await Promise.race([state.exitPromise, new Promise((r) => setTimeout(r, 1000).unref())]);
    }
  }
  for (const k of kids) tryKill(k, 'SIGKILL');
  live.delete(child.pid);
}

/** Synchronous last-resort cleanup (process 'exit', signals, crashes). */
export function killAllSync() {
  for (const [pid] of live) {
    for (const k of descendants(pid)) tryKill(k, 'SIGKILL');
    tryKill(pid, 'SIGKILL');
  }
  live.clear();
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** VmRSS in kB of pid plus its live descendants (e.g. cluster workers), from /proc/<pid>/status. */
export function treeRssKb(pid) {
  let total = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]);
    } catch { /* gone */ }
  }
  return total || null;
}
