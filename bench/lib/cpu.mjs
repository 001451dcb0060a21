// Server-side CPU accounting from /proc (Linux only).
// utime+stime of a process already include all of its threads; cutime+cstime
// hold the time of children it has reaped (e.g. restarted cluster workers).
// For a process tree we sum over the root and all live descendants.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { descendants } from './proc.mjs';

let clkTck;
export function clockTicks() {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execSync('getconf CLK_TCK', { encoding: 'utf8', timeout: 5000 }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** {utime, stime, cutime, cstime} in clock ticks, or null if the pid is gone. */
export function readStat(pid) {
  let stat;
  try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return null; }
  // Fields after "(comm)": state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17)
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { utime: Number(f[11]), stime: Number(f[12]), cutime: Number(f[13]), cstime: Number(f[14]) };
}

/** CPU seconds consumed so far by pid and its live descendants. */
export function treeCpuSeconds(pid) {
  const pids = [pid, ...descendants(pid)];
  let user = 0;
  let sys = 0;
  for (const p of pids) {
    const s = readStat(p);
    if (!s) continue;
    user += s.utime + s.cutime;
    sys += s.stime + s.cstime;
  }
  const hz = clockTicks();
  return { seconds: (user + sys) / hz, user: user / hz, system: sys / hz, pids: pids.length };
}

export function cpuSupported() {
  return readStat(process.pid) !== null;
}

/**
 * Whole-host CPU counters from the first line of /proc/stat, in seconds
 * (summed over all CPUs). Used to detect noise: CPU used by processes other
 * than the server and the harness, and hypervisor steal time.
 */
export function hostCpuSeconds() {
  let line;
  try { line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]; } catch { return null; }
  const [, user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  const hz = clockTicks();
  return {
    busy: (user + nice + system + irq + softirq) / hz,
    idle: (idle + iowait) / hz,
    steal: (steal || 0) / hz,
  };
}
