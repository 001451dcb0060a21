import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * The thread's whole program (CommonJS, evaluated; the same text whether Tessera runs from dist/ or from its
 * TypeScript sources under the test runner). PASSIVE never waits for readers or writers: a checkpoint that finds
 * the database busy does less and tries again at the next tick. `PRAGMA data_version` changes only when another
 * connection commits, so an idle database costs one cheap pragma a tick and no checkpoint; a checkpoint that
 * could not copy every frame (a reader held an older snapshot) is retried at the next tick whatever the version.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
let done = -1;
const checkpoint = (force) => {
  try {
    const version = db.pragma('data_version', { simple: true });
    if (!force && version === done) return;
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    done = r && r.busy === 0 && r.checkpointed === r.log ? version : -1;
  } catch { done = -1; /* busy or transient: next tick */ }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (msg) => {
  if (msg !== 'stop') return;
  clearInterval(timer);
  checkpoint(true);
  db.close();
  parentPort.close();
});
`;

/** WAL pages (4 KiB each) after which the serving connection checkpoints by itself, should the thread fall behind. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the connection that commits the 1000th WAL page
 * runs the checkpoint inside that commit, fsyncs included: on the benchmark machine that added ~20 µs to every
 * write transaction on average (refresh rotations, new refresh families, opaque tokens), paid in bursts of
 * milliseconds by whichever request was unlucky. A worker thread with its own connection checkpoints every
 * `intervalMs` instead; the serving connection keeps a high auto-checkpoint threshold as a safety net, so the
 * WAL stays bounded even if the thread stalls. Returns undefined (and leaves SQLite's default) when the thread
 * cannot start.
 *
 * The interval must be short enough that the thread checkpoints before the WAL reaches that threshold: a
 * refresh rotation appends ~5 pages, so 4,500 rotations/s fill 10,000 pages in under half a second, and with
 * a 500 ms tick the serving connection was the one to checkpoint, stalling every request for the 30-50 ms of
 * its WAL and database fsyncs about twice a second (refresh p99 50-60 ms at p50 6 ms). At 50 ms the thread
 * copies about a thousand pages a tick at that rate and the serving connection only restarts the WAL, a header fsync of well
 * under a millisecond (p99 18 ms; docs/benchmarks.md).
 */
export function startCheckpointer(sqlite: BetterSqlite3.Database, file: string, intervalMs = 50): Checkpointer | undefined {
  let worker: Worker;
  try {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, intervalMs, driver } });
  } catch {
    return undefined;
  }
  sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  let exited = false;
  worker.on('exit', () => {
    exited = true;
    // A thread that died only costs the optimisation: checkpoint on commit again, as SQLite does by default.
    if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000');
  });
  worker.on('error', () => undefined);
  worker.unref();
  return {
    // The thread is unref'd so that it never keeps a serving process alive; stop() refs it (and its deadline)
    // while it waits. Awaiting only unref'd handles let the event loop empty mid-await: Node then exited with
    // code 0 before a failed start-up could report its error (issue 18, item 13).
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        worker.ref();
        // Never let a stuck thread hold up shutdown.
        const deadline = setTimeout(() => void worker.terminate().then(done, done), 2000);
        function done(): void {
          clearTimeout(deadline);
          resolve();
        }
        worker.once('exit', done);
        worker.postMessage('stop');
      }),
  };
}
