// Aggregation of per-round measurements into per-target medians and ratios.

export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** runs: measurements (no skipped entries) for one target. */
export function summarize(runs) {
  if (!runs.length) return null;
  return {
    runs: runs.length,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.latencyMs.p50)),
    p99: median(runs.map((r) => r.latencyMs.p99)),
    cpuUsPerReq: median(runs.map((r) => r.cpuUsPerReq)),
    serverCpuUtilization: median(runs.map((r) => r.serverCpu.utilization)),
    requests: runs.reduce((a, r) => a + r.requests, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    socketErrors: runs.reduce((a, r) => a + r.socketErrors, 0),
    timeouts: runs.reduce((a, r) => a + r.timeouts, 0),
    maxOtherCores: Math.max(...runs.map((r) => r.host?.otherCores ?? 0)),
    rpsMin: Math.min(...runs.map((r) => r.rps)),
    rpsMax: Math.max(...runs.map((r) => r.rps)),
    startupMs: median(runs.map((r) => r.startupMs)),
    startupMsMax: Math.max(...runs.map((r) => r.startupMs ?? 0)) || null,
    rssMb: median(runs.map((r) => (r.rssKb ? r.rssKb / 1024 : null))),
    rssMbMax: Math.max(...runs.map((r) => (r.rssKb ? r.rssKb / 1024 : 0))) || null,
    loadGenCores: median(runs.map((r) => (r.loadGenCpuSeconds != null && r.durationS ? r.loadGenCpuSeconds / r.durationS : null))),
    side: runs.some((r) => r.side) ? {
      label: runs.find((r) => r.side).side.label,
      connections: runs.find((r) => r.side).side.connections,
      rateLimit: runs.find((r) => r.side).side.rateLimit,
      rps: median(runs.map((r) => r.side?.rps)),
      p50: median(runs.map((r) => r.side?.latencyMs.p50)),
      p99: median(runs.map((r) => r.side?.latencyMs.p99)),
      p99Max: Math.max(...runs.map((r) => r.side?.latencyMs.p99 ?? 0)),
      errors: runs.reduce((a, r) => a + (r.side?.errors ?? 0), 0),
    } : null,
  };
}

/** Pairs compared when the subject (Tessera) ran. */
export const RATIO_PAIRS = [
  ['tessera', 'oidc-provider-jwt'],
  ['tessera', 'oidc-provider-opaque'],
  ['tessera', 'bare-fastify'],
  ['tessera-opaque', 'oidc-provider-opaque'],
  ['tessera-opaque', 'oidc-provider-jwt'],
  ['tessera-opaque', 'bare-fastify'],
  ['tessera-workers2', 'tessera'],
  ['tessera-workers2-cpu2', 'tessera-cpu1'],
  ['tessera', 'tessera-baseline'],
  ['tessera-store-1m', 'tessera-store-1k'],
];

/**
 * Paired ratio: the median over rounds of (a's value / b's value) IN THE SAME ROUND. Rounds alternate the
 * targets back to back, so a pair shares the host's state of the moment; on a VM whose speed drifts by ±30%
 * over minutes (seen on the benchmark machine), this cancels the drift that the ratio of two medians keeps.
 */
export function pairedRatio(runs, a, b, field = (r) => r.rps) {
  const byRound = new Map();
  for (const r of runs ?? []) {
    if (r.skipped) continue;
    if (!byRound.has(r.round)) byRound.set(r.round, {});
    byRound.get(r.round)[r.target] = r;
  }
  const values = [];
  for (const pair of byRound.values()) {
    const x = pair[a] && field(pair[a]);
    const y = pair[b] && field(pair[b]);
    if (x != null && y) values.push(x / y);
  }
  return values.length ? { median: median(values), min: Math.min(...values), max: Math.max(...values), rounds: values.length } : null;
}

export function ratios(summary, runs = []) {
  const out = [];
  for (const [a, b] of RATIO_PAIRS) {
    const sa = summary[a];
    const sb = summary[b];
    if (!sa || !sb) continue;
    const div = (x, y) => (x != null && y ? x / y : null);
    out.push({
      subject: a,
      reference: b,
      rps: div(sa.rps, sb.rps),
      p50: div(sa.p50, sb.p50),
      p99: div(sa.p99, sb.p99),
      cpuUsPerReq: div(sa.cpuUsPerReq, sb.cpuUsPerReq),
      paired: pairedRatio(runs, a, b),
    });
  }
  return out;
}
