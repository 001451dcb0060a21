// Summaries of a V8 .cpuprofile (written by `node --cpu-prof`): where the main thread's time went.
// Self time per function, and inclusive ("total") time per function and per module, so a hot path can be
// read without opening DevTools. Time is estimated from samples (each sample = the interval until the next).
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Short label for a script URL: the package for node_modules, the path under the repo for our files. */
export function moduleOf(url, repoRoot) {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return url;
  let p = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const nm = p.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = p.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (repoRoot && p.startsWith(repoRoot)) p = path.relative(repoRoot, p);
  return p;
}

/** Parse a profile and attribute sample time to nodes. Returns { nodes, byId, parent, totalUs, idleUs }. */
export function loadProfile(file) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, { ...n, selfUs: 0 }]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const { samples, timeDeltas } = prof;
  let totalUs = 0;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the gap after sample i to it.
    const dt = timeDeltas[i + 1] ?? 0;
    const node = byId.get(samples[i]);
    if (node && dt > 0) { node.selfUs += dt; totalUs += dt; }
  }
  let idleUs = 0;
  for (const n of byId.values()) if (n.callFrame.functionName === '(idle)') idleUs += n.selfUs;
  return { byId, parent, totalUs, idleUs };
}

const frameKey = (cf, repoRoot) => `${cf.functionName || '(anonymous)'} ${moduleOf(cf.url, repoRoot)}:${cf.lineNumber + 1}`;

/**
 * Self and inclusive time per function and per module. Inclusive time counts a function once per sample even
 * when it recurses (the ancestor chain is de-duplicated).
 */
export function summarize(profile, repoRoot) {
  const { byId, parent, totalUs, idleUs } = profile;
  const selfFn = new Map();
  const selfMod = new Map();
  const totalFn = new Map();
  const totalMod = new Map();
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  for (const n of byId.values()) {
    if (n.selfUs === 0 || n.callFrame.functionName === '(idle)') continue;
    add(selfFn, frameKey(n.callFrame, repoRoot), n.selfUs);
    add(selfMod, moduleOf(n.callFrame.url, repoRoot), n.selfUs);
    const seenFn = new Set();
    const seenMod = new Set();
    for (let id = n.id; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id).callFrame;
      const fk = frameKey(cf, repoRoot);
      const mk = moduleOf(cf.url, repoRoot);
      if (!seenFn.has(fk)) { seenFn.add(fk); add(totalFn, fk, n.selfUs); }
      if (!seenMod.has(mk)) { seenMod.add(mk); add(totalMod, mk, n.selfUs); }
    }
  }
  const top = (m, k) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k);
  return { totalUs, idleUs, busyUs: totalUs - idleUs, selfFn, selfMod, totalFn, totalMod, top };
}

/**
 * A printable report. `scale` converts profile µs into µs per request (e.g. the run's server CPU per request
 * divided by the profile's busy time), so each line reads as the cost of that function in one request.
 */
export function formatSummary(s, { scale = null, limit = 30 } = {}) {
  const per = (us) => (scale ? `${(us * scale).toFixed(1).padStart(6)} µs/req` : '');
  const pct = (us) => `${((100 * us) / s.busyUs).toFixed(1).padStart(5)}%`;
  const lines = [];
  lines.push(`main thread busy ${(s.busyUs / 1e6).toFixed(2)} s of ${(s.totalUs / 1e6).toFixed(2)} s sampled (GC included, idle excluded)`);
  const section = (title, m, k) => {
    lines.push('', title);
    for (const [name, us] of s.top(m, k)) lines.push(`  ${pct(us)} ${per(us)}  ${name}`);
  };
  section('self time by module', s.selfMod, 20);
  section('self time by function', s.selfFn, limit);
  section('inclusive time by function', s.totalFn, limit);
  return lines.join('\n');
}
