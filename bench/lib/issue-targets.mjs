// The targets of issue 7, evaluated against a (possibly merged) results object, for the "Targets" table at
// the top of docs/benchmarks.md. Each target names the scenario and targets it needs; the figure comes from
// the first scenario entry (in file order) whose summary has all of them, so ratios are always taken from ONE
// run (same machine, same time, alternating rounds).
//
// Below the generated table the report keeps a hand-maintained block (explanations of misses, how the
// workers comparison was measured...). It lives between NOTES_BEGIN and NOTES_END and is copied over from the
// previous docs/benchmarks.md every time the generator runs.

import { median } from './stats.mjs';

export const NOTES_BEGIN = '<!-- BEGIN hand-maintained target notes (kept by bench/lib/report.mjs on regeneration) -->';
export const NOTES_END = '<!-- END hand-maintained target notes -->';

const f0 = (v) => (v == null ? '–' : Math.round(v).toLocaleString('en-US'));
const f1 = (v) => (v == null ? '–' : v.toFixed(1));
const pct = (v) => `${Math.round(v * 100)}%`;

/** Scenario entry (by scenario name) whose summary has every target in `need`. */
function findScenario(results, name, need) {
  for (const sc of Object.values(results.scenarios)) {
    if (sc.name !== name) continue;
    if (need.every((t) => sc.summary?.[t])) return sc;
  }
  return null;
}

/** The paired (per-round) ratio when the runs allow it, else the ratio of the medians. */
const ratioOf = (sc, a, b) => sc.ratios?.find((r) => r.subject === a && r.reference === b)?.paired?.median ?? sc.summary[a].rps / sc.summary[b].rps;
const pairedNote = (sc, a, b) => {
  const p = sc.ratios?.find((r) => r.subject === a && r.reference === b)?.paired;
  return p ? `median of ${p.rounds} per-round ratios, range ${p.min.toFixed(2)}–${p.max.toFixed(2)}; ratio of medians ${(sc.summary[a].rps / sc.summary[b].rps).toFixed(2)}` : 'ratio of medians';
};

/** The CPU budget a target's runs were held to (bench/lib/cgroup.mjs), e.g. "0.5". */
const budgetCpus = (sc, target) => {
  const cpus = sc.runs?.find((r) => r.target === target && r.cpuBudget)?.cpuBudget.cpus;
  return cpus == null ? '?' : String(Number(cpus.toFixed(2)));
};

const atLeast = (goal, unit = '') => (v) => ({ met: v >= goal, miss: v >= goal ? null : `${pct(1 - v / goal)} below (${unit ? `${f0(goal - v)} ${unit} short` : `needs ${goal}`})` });
const atMost = (goal, unit) => (v) => ({ met: v <= goal, miss: v <= goal ? null : `${pct(v / goal - 1)} over (${f1(v - goal)} ${unit} too many)` });

export const ISSUE_TARGETS = [
  {
    id: 'cc-jwt-vs-oidc-jwt',
    target: 'client_credentials JWT: >= 2.5x oidc-provider JWT (req/s)',
    scenario: 'client_credentials',
    need: ['tessera', 'oidc-provider-jwt'],
    value: (s, sc) => ratioOf(sc, 'tessera', 'oidc-provider-jwt'),
    measured: (v, s, sc) => `${v.toFixed(2)}x (${pairedNote(sc, 'tessera', 'oidc-provider-jwt')}; medians ${f0(s.tessera.rps)} vs ${f0(s['oidc-provider-jwt'].rps)} req/s)`,
    judge: (v) => ({ met: v >= 2.5, miss: v >= 2.5 ? null : `${pct(1 - v / 2.5)} below 2.5x` }),
  },
  {
    id: 'cc-jwt-vs-oidc-opaque',
    target: 'client_credentials JWT: >= 1.5x oidc-provider opaque (req/s)',
    scenario: 'client_credentials',
    need: ['tessera', 'oidc-provider-opaque'],
    value: (s, sc) => ratioOf(sc, 'tessera', 'oidc-provider-opaque'),
    measured: (v, s, sc) => `${v.toFixed(2)}x (${pairedNote(sc, 'tessera', 'oidc-provider-opaque')}; medians ${f0(s.tessera.rps)} vs ${f0(s['oidc-provider-opaque'].rps)} req/s)`,
    judge: (v) => ({ met: v >= 1.5, miss: v >= 1.5 ? null : `${pct(1 - v / 1.5)} below 1.5x` }),
  },
  {
    id: 'cc-jwt-cpu',
    target: 'client_credentials JWT: server CPU <= 250 µs per token',
    scenario: 'client_credentials',
    need: ['tessera'],
    value: (s) => s.tessera.cpuUsPerReq,
    measured: (v, s) => `${f0(v)} µs/token (oidc-provider JWT: ${f0(s['oidc-provider-jwt']?.cpuUsPerReq)} µs)`,
    judge: atMost(250, 'µs'),
  },
  {
    id: 'introspection-jwt',
    target: 'Introspection of a JWT: >= 70% of the bare Fastify route (req/s)',
    scenario: 'introspection',
    need: ['tessera', 'bare-fastify'],
    value: (s, sc) => ratioOf(sc, 'tessera', 'bare-fastify'),
    measured: (v, s, sc) => `${pct(v)} (${pairedNote(sc, 'tessera', 'bare-fastify')}; medians ${f0(s.tessera.rps)} vs ${f0(s['bare-fastify'].rps)} req/s)`,
    judge: (v) => ({ met: v >= 0.7, miss: v >= 0.7 ? null : `${Math.round((0.7 - v) * 100)} points below 70%` }),
  },
  {
    id: 'refresh-sqlite',
    target: 'Refresh grant, SQLite, rotation + reuse detection: >= 2,500/s',
    scenario: 'refresh',
    need: ['tessera'],
    value: (s) => s.tessera.rps,
    measured: (v, s) => `${f0(v)}/s (p99 ${f1(s.tessera.p99)} ms, ${f0(s.tessera.cpuUsPerReq)} µs CPU/req)`,
    judge: atLeast(2500, 'req/s'),
  },
  {
    id: 'refresh-pg',
    target: 'Refresh grant, PostgreSQL, rotation + reuse detection: >= 1,500/s',
    scenario: 'refresh_pg',
    need: ['tessera'],
    value: (s) => s.tessera.rps,
    measured: (v, s) => `${f0(v)}/s (p99 ${f1(s.tessera.p99)} ms, ${f0(s.tessera.cpuUsPerReq)} µs CPU/req)`,
    judge: atLeast(1500, 'req/s'),
  },
  {
    id: 'password',
    target: 'Password grant (200-user pool, login throttle on): >= 85/s',
    scenario: 'password',
    need: ['tessera'],
    value: (s) => s.tessera.rps,
    measured: (v, s) => `${f0(v)}/s (p99 ${f0(s.tessera.p99)} ms, ${f0(s.tessera.cpuUsPerReq / 1000)} ms CPU/login)`,
    judge: atLeast(85, 'req/s'),
  },
  {
    id: 'password-mixed-rate',
    target: 'Password grant with client_credentials beside it: >= 85/s',
    scenario: 'password_mixed',
    need: ['tessera'],
    value: (s) => s.tessera.rps,
    measured: (v, s) => `${f0(v)}/s (beside: ${f0(s.tessera.side?.rps)} client_credentials/s${s.tessera.side?.rateLimit ? `, paced to ${f0(s.tessera.side.rateLimit)}/s` : ', unpaced'})`,
    judge: atLeast(85, 'req/s'),
  },
  {
    id: 'password-mixed-cc-p99',
    target: 'client_credentials beside the password grant: p99 < 25 ms',
    scenario: 'password_mixed',
    need: ['tessera'],
    value: (s) => s.tessera.side?.p99 ?? null,
    measured: (v, s) => `p99 ${f1(v)} ms (median of rounds; worst round ${f1(s.tessera.side?.p99Max)} ms; p50 ${f1(s.tessera.side?.p50)} ms)`,
    judge: (v) => ({ met: v < 25, miss: v < 25 ? null : `${pct(v / 25 - 1)} over (${f1(v - 25)} ms)` }),
  },
  {
    // The issue's condition, "when the load generator has a core of its own": on a 2-CPU machine only CPU
    // budgets (bench/lib/cgroup.mjs) can give each worker the same share and the load generator a whole CPU.
    id: 'workers2',
    target: '`--workers 2`: >= 1.5x one worker, load generator with a CPU of its own (client_credentials req/s)',
    scenario: 'client_credentials',
    need: ['tessera-workers2-cpu2', 'tessera-cpu1'],
    value: (s, sc) => ratioOf(sc, 'tessera-workers2-cpu2', 'tessera-cpu1'),
    measured: (v, s, sc) => `${v.toFixed(2)}x (${pairedNote(sc, 'tessera-workers2-cpu2', 'tessera-cpu1')}; medians ${f0(s['tessera-workers2-cpu2'].rps)} vs ${f0(s['tessera-cpu1'].rps)} req/s; ` +
      `server held to ${budgetCpus(sc, 'tessera-workers2-cpu2')} vs ${budgetCpus(sc, 'tessera-cpu1')} CPU and used ${pct(s['tessera-workers2-cpu2'].serverCpuUtilization)} vs ${pct(s['tessera-cpu1'].serverCpuUtilization)} of a core, ` +
      `load generator ${pct(s['tessera-workers2-cpu2'].loadGenCores ?? 0)} vs ${pct(s['tessera-cpu1'].loadGenCores ?? 0)}; ${f0(s['tessera-workers2-cpu2'].cpuUsPerReq)} vs ${f0(s['tessera-cpu1'].cpuUsPerReq)} µs CPU/req)`,
    judge: (v) => ({ met: v >= 1.5, miss: v >= 1.5 ? null : `${pct(1 - v / 1.5)} below 1.5x` }),
  },
  {
    // Not the issue's condition: both run unconstrained and the load generator shares the two CPUs. Kept beside
    // the target because it is what a 2-CPU host gains from a second worker.
    id: 'workers2-shared',
    informational: true,
    target: '(for information) `--workers 2` vs one worker on the whole machine, load generator sharing it',
    scenario: 'client_credentials',
    need: ['tessera-workers2', 'tessera'],
    value: (s, sc) => ratioOf(sc, 'tessera-workers2', 'tessera'),
    measured: (v, s, sc) => `${v.toFixed(2)}x (${pairedNote(sc, 'tessera-workers2', 'tessera')}; medians ${f0(s['tessera-workers2'].rps)} vs ${f0(s.tessera.rps)} req/s; server CPU ` +
      `${pct(s['tessera-workers2'].serverCpuUtilization)} vs ${pct(s.tessera.serverCpuUtilization)} of a core, load generator ` +
      `${pct(s['tessera-workers2'].loadGenCores ?? 0)} vs ${pct(s.tessera.loadGenCores ?? 0)}; ${f0(s['tessera-workers2'].cpuUsPerReq)} vs ${f0(s.tessera.cpuUsPerReq)} µs CPU/req)`,
    judge: () => ({ met: null, miss: null }),
  },
  {
    id: 'store-1m-throughput',
    target: '1,000,000 clients: client_credentials throughput within 10% of a 1,000-client store',
    scenario: 'client_credentials_many',
    need: ['tessera-store-1m', 'tessera-store-1k'],
    value: (s, sc) => ratioOf(sc, 'tessera-store-1m', 'tessera-store-1k'),
    measured: (v, s, sc) => `${pct(v)} (${pairedNote(sc, 'tessera-store-1m', 'tessera-store-1k')}; medians ${f0(s['tessera-store-1m'].rps)} vs ${f0(s['tessera-store-1k'].rps)} req/s; ` +
      `${f0(s['tessera-store-1m'].cpuUsPerReq)} vs ${f0(s['tessera-store-1k'].cpuUsPerReq)} µs CPU/req)`,
    judge: (v) => ({ met: v >= 0.9, miss: v >= 0.9 ? null : `${pct(1 - v)} slower (allowed: 10%)` }),
  },
  {
    id: 'store-1m-rss',
    target: '1,000,000 clients: RSS < 200 MB',
    scenario: 'client_credentials_many',
    need: ['tessera-store-1m'],
    value: (s) => s['tessera-store-1m'].rssMb,
    measured: (v, s) => `${f0(v)} MB after the run (max of rounds ${f0(s['tessera-store-1m'].rssMbMax)} MB; 1,000-client store ${f0(s['tessera-store-1k']?.rssMb)} MB)`,
    judge: (v) => ({ met: v < 200, miss: v < 200 ? null : `${pct(v / 200 - 1)} over (${f0(v - 200)} MB)` }),
  },
  {
    id: 'store-1m-startup',
    target: '1,000,000 clients: start-up < 1 s',
    scenario: 'client_credentials_many',
    need: ['tessera-store-1m'],
    value: (s) => s['tessera-store-1m'].startupMs,
    measured: (v, s) => `${f0(v)} ms spawn → /healthz 200 (max of rounds ${f0(s['tessera-store-1m'].startupMsMax)} ms; 1,000-client store ${f0(s['tessera-store-1k']?.startupMs)} ms)`,
    judge: (v) => ({ met: v < 1000, miss: v < 1000 ? null : `${pct(v / 1000 - 1)} over (${f0(v - 1000)} ms)` }),
  },
];

/** [{ id, target, measured, status, command, met }] for every issue target. */
export function evaluateTargets(results) {
  return ISSUE_TARGETS.map((t) => {
    const sc = findScenario(results, t.scenario, t.need);
    if (!sc) return { id: t.id, target: t.target, measured: 'not measured in this report', status: '–', command: '–', met: null };
    const v = t.value(sc.summary, sc);
    if (v == null || !Number.isFinite(v)) return { id: t.id, target: t.target, measured: 'no figure', status: '–', command: sc.command ?? results.meta.command, met: null };
    const j = t.judge(v);
    if (t.informational) {
      return { id: t.id, target: t.target, value: v, measured: t.measured(v, sc.summary, sc), status: 'for information', command: sc.command ?? results.meta.command, rounds: sc.rounds, met: null };
    }
    return {
      id: t.id,
      target: t.target,
      value: v,
      measured: t.measured(v, sc.summary, sc),
      status: j.met ? 'met' : `**missed**: ${j.miss}`,
      command: sc.command ?? results.meta.command,
      rounds: sc.rounds,
      met: j.met,
    };
  });
}

/** The hand-maintained notes block of a previous report (including its markers), or a fresh empty one. */
export function preservedNotes(previousDoc) {
  if (previousDoc) {
    const a = previousDoc.indexOf(NOTES_BEGIN);
    const b = previousDoc.indexOf(NOTES_END);
    if (a !== -1 && b > a) return previousDoc.slice(a, b + NOTES_END.length);
  }
  return `${NOTES_BEGIN}\n\n_(No notes yet: explain misses and methods here; the generator keeps this block.)_\n\n${NOTES_END}`;
}

/**
 * The issue's "where the bar is" table (client_credentials, autocannon -c 32, on the 2-core machine the targets
 * were set on) and its argon2id figure: workloads whose cost does not depend on Tessera's code. Measuring them
 * again in a run says how fast that run's host was, which the absolute targets (refresh/s, logins/s,
 * start-up) depend on; the ratio targets compare implementations within one run and do not.
 */
export const REFERENCE_HOST = [
  { scenario: 'client_credentials', target: 'bare-http', label: 'bare node:http route, client_credentials', rps: 18000, cpuUs: 50 },
  { scenario: 'client_credentials', target: 'bare-fastify', label: 'bare Fastify route, client_credentials', rps: 12800, cpuUs: 73 },
  { scenario: 'client_credentials', target: 'oidc-provider-opaque', label: 'node-oidc-provider 9 opaque, client_credentials', rps: 2650, cpuUs: 390 },
  { scenario: 'client_credentials', target: 'oidc-provider-jwt', label: 'node-oidc-provider 9 JWT (EdDSA), client_credentials', rps: 1900, cpuUs: 610 },
  // The issue gives ~22 ms per argon2id hash at the OWASP parameters; a login is that plus ~0.3 ms of HTTP and token work.
  { scenario: 'password', target: 'tessera', label: 'argon2id at OWASP parameters (Tessera password grant, CPU per login)', rps: null, cpuUs: 22000 },
];

/**
 * This run's figures for the reference workloads: { rows: [{ ...REFERENCE_HOST entry, measuredRps, measuredCpuUs,
 * factor }], factor } (factor = this run's CPU per request / the reference's, > 1 meaning a slower host; the
 * top-level one is the median over rows), or null when none of them ran.
 */
export function hostCalibration(results) {
  const rows = [];
  for (const ref of REFERENCE_HOST) {
    const sc = findScenario(results, ref.scenario, [ref.target]);
    const s = sc?.summary[ref.target];
    if (!s?.cpuUsPerReq) continue;
    rows.push({ ...ref, measuredRps: s.rps, measuredCpuUs: s.cpuUsPerReq, factor: s.cpuUsPerReq / ref.cpuUs });
  }
  return rows.length ? { rows, factor: median(rows.map((r) => r.factor)) } : null;
}
