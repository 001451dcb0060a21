#!/usr/bin/env node
// Start-up time of the CLI as operators run it: `node bin/tessera.js client list` against a SQLite store with a
// few clients, wall clock from spawn to exit. Budget: median under 300 ms (docs/cli.md, "Start-up time").
// Usage: npm run build && node bench/cli-startup.mjs [runs=15]. Not a test: timings depend on the machine's load.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../bin/tessera.js', import.meta.url).pathname;
const runs = Number(process.argv[2] ?? 15);
const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-startup-'));
const d = ['--data-dir', dir];
const env = { ...process.env, TESSERA_LOG_LEVEL: 'silent' };

function time(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function summary(name, samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(0);
  console.log(`${name.padEnd(34)} median ${at(0.5).padStart(4)} ms   p90 ${at(0.9).padStart(4)} ms   min ${s[0].toFixed(0).padStart(4)} ms`);
  return Number(at(0.5));
}

try {
  for (let i = 0; i < 5; i++) execFileSync(process.execPath, [BIN, 'client', 'create', '--id', `bench-${i}`, ...d], { env, stdio: 'ignore' });
  const node = [];
  const list = [];
  time([BIN, 'client', 'list', ...d]); // warm the file cache
  for (let i = 0; i < runs; i++) {
    node.push(time(['-e', '']));
    list.push(time([BIN, 'client', 'list', ...d]));
  }
  summary('node -e "" (the floor)', node);
  const median = summary('node bin/tessera.js client list', list);
  console.log(median < 300 ? 'within the 300 ms budget' : 'OVER the 300 ms budget (or the machine is busy: compare with the floor)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
