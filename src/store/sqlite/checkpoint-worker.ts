import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * The checkpoint thread's program; checkpointer.ts starts it and says why it exists. PASSIVE never waits for
 * readers or writers: a checkpoint that finds the database busy does less and tries again at the next tick.
 * `PRAGMA data_version` changes only when another connection commits, so an idle database costs one cheap pragma
 * a tick and no checkpoint; a checkpoint that could not copy every frame (a reader held an older snapshot) is
 * retried at the next tick whatever the version.
 */

/** What checkpointer.ts hands the thread. */
export interface CheckpointWorkerData {
  file: string;
  intervalMs: number;
}

/** The one message the thread takes, 'stop': a last checkpoint, then the connection and the port close. */
export type CheckpointMessage = 'stop';

interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

if (!parentPort) throw new Error('checkpoint-worker runs on a worker thread (checkpointer.ts starts it)');
const port = parentPort;
const { file, intervalMs } = workerData as CheckpointWorkerData;
const db = new Database(file);
db.pragma('busy_timeout = 1000');

/** The data_version the last complete checkpoint covered; -1 when the next tick must checkpoint. */
let done = -1;

function checkpoint(force = false): void {
  try {
    const version = db.pragma('data_version', { simple: true }) as number;
    if (!force && version === done) return;
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
    done = r && r.busy === 0 && r.checkpointed === r.log ? version : -1;
  } catch {
    done = -1; // busy or transient: next tick
  }
}

const timer = setInterval(checkpoint, intervalMs);
port.on('message', (msg: CheckpointMessage) => {
  if (msg !== 'stop') return;
  clearInterval(timer);
  checkpoint(true);
  db.close();
  port.close();
});
