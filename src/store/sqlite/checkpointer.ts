import type { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import { startWorkerProgram } from '../../worker-program.js';
import type { CheckpointMessage, CheckpointWorkerData } from './checkpoint-worker.js';

/** WAL pages (4 KiB each) after which the serving connection checkpoints by itself, should the thread fall behind. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the connection that commits the 1000th WAL page
 * runs the checkpoint inside that commit, fsyncs included: on the benchmark machine that added ~20 µs to every
 * write transaction on average (refresh rotations, new refresh families, opaque tokens), paid in bursts of
 * milliseconds by whichever request was unlucky. A worker thread with its own connection (checkpoint-worker.ts)
 * checkpoints every `intervalMs` instead; the serving connection keeps a high auto-checkpoint threshold as a
 * safety net, so the WAL stays bounded even if the thread stalls. Returns undefined (and leaves SQLite's
 * default) when the thread cannot start.
 *
 * The interval must be short enough that the thread checkpoints before the WAL reaches that threshold, or the
 * serving connection checkpoints after all, stalling every request in flight for the tens of milliseconds of its
 * WAL and database fsyncs. A refresh rotation appends ~5 pages, so 4,500 rotations/s fill 10,000 pages in under
 * half a second; at 50 ms the thread copies about a thousand pages a tick at that rate, and the serving
 * connection only restarts the WAL (a header fsync of well under a millisecond). How the tick was chosen:
 * docs/benchmarks.md.
 */
export function startCheckpointer(sqlite: BetterSqlite3.Database, file: string, intervalMs = 50): Checkpointer | undefined {
  let worker: Worker;
  try {
    worker = startWorkerProgram('checkpoint-worker', import.meta.url, { workerData: { file, intervalMs } satisfies CheckpointWorkerData });
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
        worker.postMessage('stop' satisfies CheckpointMessage);
      }),
  };
}
