// Load generation with autocannon (programmatic), plus exact latency
// percentiles: autocannon's own histogram stores whole milliseconds, which is
// too coarse for sub-millisecond token endpoints, so every 2xx response time
// (float ms from the 'response' event) is also recorded here.
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { treeCpuSeconds, hostCpuSeconds } from './cpu.mjs';
import os from 'node:os';

class LatencyRecorder {
  constructor() {
    this.values = new Float64Array(1 << 16);
    this.count = 0;
  }
  record(ms) {
    if (this.count === this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.count++] = ms;
  }
  summary() {
    const v = this.values.subarray(0, this.count).slice().sort();
    const pct = (p) => (v.length ? v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))] : null);
    let sum = 0;
    for (const x of v) sum += x;
    return {
      samples: v.length,
      mean: v.length ? sum / v.length : null,
      p50: pct(50),
      p90: pct(90),
      p99: pct(99),
      p999: pct(99.9),
      max: v.length ? v[v.length - 1] : null,
    };
  }
}

/**
 * One bounded autocannon run. Resolves with { result, latency, elapsedS }.
 * A watchdog stops the instance if it overruns duration by more than graceS.
 */
export function runAutocannon({ url, connections, duration, requests, rate = 0, timeoutS = 10, graceS = 15 }) {
  return new Promise((resolve, reject) => {
    const latency = new LatencyRecorder();
    const t0 = performance.now();
    let watchdog;
    const instance = autocannon(
      {
        url,
        connections,
        duration,
        pipelining: 1,
        timeout: timeoutS,
        requests,
        ...(rate > 0 ? { overallRate: rate } : {}),
      },
      (err, result) => {
        clearTimeout(watchdog);
        if (err) return reject(err);
        resolve({ result, latency: latency.summary(), elapsedS: (performance.now() - t0) / 1000 });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latency.record(responseTime);
    });
    watchdog = setTimeout(() => instance.stop(), (duration + graceS) * 1000);
    watchdog.unref();
  });
}

/**
 * Warm-up (not counted) followed by the measured window. Server CPU time is
 * read from /proc for serverPid and its descendants right around the
 * measured window only.
 */
export async function measure({ url, serverPid, connections, duration, warmup, requests, beforeRun, side }) {
  // side: optional second stream { label, connections, rate, requests } run at the same time, same duration.
  const sideRun = (d) => side ? runAutocannon({ url, connections: side.connections, duration: d, rate: side.rate, requests: side.requests() }) : null;
  if (warmup > 0) {
    if (beforeRun) await beforeRun({ phase: 'warmup', seconds: warmup });
    await Promise.all([runAutocannon({ url, connections, duration: warmup, requests: requests() }), sideRun(warmup)]);
  }
  if (beforeRun) await beforeRun({ phase: 'run', seconds: duration });
  const reqs = requests();
  const host0 = hostCpuSeconds();
  const cpu0 = treeCpuSeconds(serverPid);
  const self0 = process.cpuUsage();
  const [{ result, latency, elapsedS }, sideOut] = await Promise.all([
    runAutocannon({ url, connections, duration, requests: reqs }),
    sideRun(duration),
  ]);
  const self1 = process.cpuUsage(self0);
  const cpu1 = treeCpuSeconds(serverPid);
  const host1 = hostCpuSeconds();

  const sideCompleted = sideOut ? sideOut.result.requests.total : 0;
  const completed = result.requests.total;
  const cpuSeconds = cpu1.seconds - cpu0.seconds;
  const loadGenCpuSeconds = (self1.user + self1.system) / 1e6;
  // Noise indicators: busy CPU not accounted to the server or this harness,
  // and hypervisor steal, both in "cores" averaged over the window.
  const host = host0 && host1 ? {
    cores: os.cpus().length,
    otherCores: Math.max(0, (host1.busy - host0.busy) - cpuSeconds - loadGenCpuSeconds) / elapsedS,
    stealCores: (host1.steal - host0.steal) / elapsedS,
    loadavg1: os.loadavg()[0],
  } : null;
  return {
    connections,
    durationS: elapsedS,
    requests: completed,
    ok: result['2xx'],
    non2xx: result.non2xx,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    errors: result.non2xx + result.errors + result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats || {}).map(([k, v]) => [k, v.count])),
    rps: completed / elapsedS,
    latencyMs: latency,
    autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average },
    serverCpu: {
      seconds: cpuSeconds,
      userSeconds: cpu1.user - cpu0.user,
      systemSeconds: cpu1.system - cpu0.system,
      utilization: cpuSeconds / elapsedS,
      processes: cpu1.pids,
    },
    cpuUsPerReq: completed + sideCompleted > 0 ? (cpuSeconds * 1e6) / (completed + sideCompleted) : null,
    side: sideOut ? {
      label: side.label,
      connections: side.connections,
      rateLimit: side.rate || null,
      requests: sideCompleted,
      rps: sideCompleted / sideOut.elapsedS,
      latencyMs: sideOut.latency,
      errors: sideOut.result.non2xx + sideOut.result.errors + sideOut.result.timeouts,
      statusCodes: Object.fromEntries(Object.entries(sideOut.result.statusCodeStats || {}).map(([k, v]) => [k, v.count])),
    } : null,
    loadGenCpuSeconds,
    host,
  };
}
