#!/usr/bin/env node
// The replay table's cost per key on SQLite, outside the server: hashed keys (a random place in the primary-key
// index) against keys that lead with the proof's iat (src/oauth/dpop/service.ts, dpopReplayKey). Everything a
// key costs the host is counted: the grouped INSERT, the WAL checkpoints a second connection runs every 50 ms of
// simulated time (as the server's checkpoint thread does), and the expiry sweep every 60 s; the CPU of the whole
// process (user + system), so the WAL writes and the checkpoint's copies are in it.
//
//   node bench/replay-keys.mjs [--rate 5700] [--window 61] [--batch 8] [--seconds 150] [--modes random,ordered]
//
// Simulated time: one window is filled first (not measured), then the rest of --seconds is measured. Bounded:
// it inserts rate x seconds keys and stops. Needs the root install (better-sqlite3). Run it pinned for steady
// numbers: taskset -c 1 node bench/replay-keys.mjs
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const require = createRequire(new URL('../package.json', import.meta.url));
const Database = require('better-sqlite3');

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '5700' },
    window: { type: 'string', default: '61' },
    batch: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '150' },
    modes: { type: 'string', default: 'random,ordered' },
  },
});
const RATE = Number(values.rate);
const WINDOW = Number(values.window);
const BATCH = Number(values.batch);
const SECONDS = Number(values.seconds);
if (![RATE, WINDOW, BATCH, SECONDS].every((n) => Number.isInteger(n) && n > 0) || SECONDS <= WINDOW) {
  console.error('replay-keys: --rate, --window, --batch and --seconds are positive integers, --seconds > --window');
  process.exit(2);
}

/** The server's two key shapes: `dpop:<hash>` before session 32, `dpop:<iat base36>:<hash>` since. */
function keyOf(mode, iat) {
  const h = randomBytes(32).toString('base64url').slice(0, 43);
  return mode === 'ordered' ? `dpop:${iat.toString(36).padStart(7, '0')}:${h}` : `dpop:${h}`;
}

function measure(mode) {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-replay-keys-'));
  const file = join(dir, 'replay.db');
  // The server's settings (src/store/sqlite/open.ts, checkpointer.ts) and the replay table of migration 0001.
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 10000');
  db.exec('CREATE TABLE replay (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL); CREATE INDEX replay_expires ON replay (expires_at)');
  const checkpointer = new Database(file);
  checkpointer.pragma('synchronous = NORMAL');
  const rows = Array.from({ length: BATCH }, () => '(?, ?)').join(', ');
  const insert = db.prepare(`INSERT INTO replay (key, expires_at) VALUES ${rows} ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay.expires_at < ? RETURNING key`);
  const sweep = db.prepare('DELETE FROM replay WHERE expires_at < ?');
  const start = 1_800_000_000;
  const step = BATCH / RATE;
  let sim = 0;
  const run = (seconds) => {
    let lastCheckpoint = sim;
    let lastSweep = sim;
    let keys = 0;
    const cpu0 = process.cpuUsage();
    const end = sim + seconds;
    while (sim < end) {
      const now = Math.floor(start + sim);
      const params = [];
      for (let i = 0; i < BATCH; i++) params.push(keyOf(mode, now), now + WINDOW);
      params.push(now);
      insert.all(params);
      keys += BATCH;
      sim += step;
      if (sim - lastCheckpoint >= 0.05) {
        checkpointer.pragma('wal_checkpoint(PASSIVE)');
        lastCheckpoint = sim;
      }
      if (sim - lastSweep >= 60) {
        sweep.run(now);
        lastSweep = sim;
      }
    }
    const cpu = process.cpuUsage(cpu0);
    return { keys, cpuUs: (cpu.user + cpu.system) / keys, systemUs: cpu.system / keys };
  };
  try {
    run(WINDOW + 5);
    return run(SECONDS - WINDOW);
  } finally {
    db.close();
    checkpointer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// What generating a key costs by itself, to read the table's share off the totals.
const gen0 = process.cpuUsage();
for (let i = 0; i < 100_000; i++) keyOf('ordered', 1_800_000_000);
const gen = process.cpuUsage(gen0);
console.log(`key generation alone: ${((gen.user + gen.system) / 100_000).toFixed(2)} µs a key`);
console.log(`${RATE} keys/s, ${WINDOW} s window, grouped inserts of ${BATCH}, ${SECONDS - WINDOW} s measured after one window`);
for (const mode of values.modes.split(',')) {
  const r = measure(mode);
  console.log(`${mode.padEnd(8)} ${r.keys} keys  ${r.cpuUs.toFixed(2)} µs CPU a key (system ${r.systemUs.toFixed(2)})`);
}
