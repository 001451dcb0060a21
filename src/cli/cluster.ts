import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { BannerInfo } from './banner.js';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { describeStore } from '../store/open.js';
import { openStoreWithRetry } from '../store/startup-retry.js';
import { secureDataFiles } from '../store/data-files.js';
import { loadMasterKey } from '../keys/master-key.js';
import { KeyRing } from '../keys/key-ring.js';
import { readImportFile } from '../admin/import-document.js';
import { applyImportDocument } from '../admin/import-apply.js';
import { serveClusterScrapes } from '../observability/metrics-cluster.js';
import { createDirectEvents } from '../observability/event-sinks.js';
import { basename } from 'node:path';

/** `workers: N | 'auto'` as a number of processes. */
export function workerCount(setting: Config['workers']): number {
  return setting === 'auto' ? Math.max(1, availableParallelism()) : setting;
}

/** Gives up when this many workers in a row die before they ever listened (a configuration problem, not a crash). */
const MAX_STARTUP_FAILURES = 5;
/**
 * Gives up when workers exit this often (per worker slot, at least 6) within CRASH_LOOP_WINDOW_MS: restarting
 * cannot fix what kills them, and a primary that exits non-zero lets its supervisor (systemd, Kubernetes)
 * restart the whole node, with its own backoff, and say so.
 */
const CRASH_LOOP_EXITS_PER_WORKER = 3;
const CRASH_LOOP_WINDOW_MS = 60_000;
/** A worker that lived this long resets its slot's backoff. */
const HEALTHY_AFTER_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;
/** Workers get this long to finish in-flight requests after SIGTERM before they are killed. */
const STOP_GRACE_MS = 30_000;

/**
 * Everything that must happen exactly once before workers start: migrations, the master key file and the first
 * signing key. Workers then open an already-migrated store and find the key.
 */
export async function prepareOnce(config: Config, logger: Logger): Promise<{ kid: string; alg: string; masterKeyFile?: string }> {
  if (config.databaseUrl === 'sqlite::memory:') throw new ConfigError('an in-memory SQLite database cannot be shared by several workers: use a file or PostgreSQL');
  const location = { databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 };
  secureDataFiles(location, logger);
  const store = await openStoreWithRetry(location, {}, { windowMs: config.databaseStartupRetryMs, logger });
  try {
    const masterKey = loadMasterKey(config.masterKey, config.dataDir);
    if (masterKey.created) logger.info({ masterKeyFile: masterKey.path }, 'created the master key file (keep it safe: it decrypts the signing keys)');
    const keys = new KeyRing(store, masterKey.key);
    if (await keys.init(config.signingAlg)) logger.info({ kid: keys.active.kid, alg: keys.active.alg }, 'created the first signing key');
    const prepared = { kid: keys.active.kid, alg: keys.active.alg, ...(masterKey.path ? { masterKeyFile: masterKey.path } : {}) };
    // Workers skip --import: applying it once here spares N concurrent imports (and N x the password hashing).
    if (config.importFile) {
      const events = createDirectEvents(store, config);
      const audit = { events: events.hub, actor: { kind: 'import' as const, id: basename(config.importFile) } };
      const report = await applyImportDocument(store, readImportFile(config.importFile), { masterKey: masterKey.key, defaults: { accessTokenTtl: config.accessTokenTtl }, audit }).finally(() => events.flush());
      logger.info({ import: config.importFile, ...report }, 'applied the import document');
    }
    return prepared;
  } finally {
    await store.close();
  }
}

interface Slot {
  worker: Worker | undefined;
  startedAt: number;
  crashes: number;
  listened: boolean;
}

/**
 * The cluster primary: prepares the store, forks `count` workers that share the listening socket, restarts a
 * worker that dies (exponential backoff per slot), and on SIGTERM/SIGINT asks every worker to shut down
 * gracefully, then exits when they are gone.
 */
export async function runPrimary(config: Config, count: number, logger: Logger, banner: (info: BannerInfo) => void): Promise<void> {
  const prepared = await prepareOnce(config, logger);
  const store = describeStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const shared = config.redisUrl ? 'shared through Redis' : 'PER WORKER (each worker enforces the full limit; set TESSERA_REDIS_URL to share them)';
  logger.info({ workers: count, store, rateLimits: shared }, `starting ${count} workers`);
  if (!config.redisUrl) logger.warn({ workers: count }, `rate limits and failed-login throttling are per worker without Redis: effective limits are up to ${count}x the configured ones`);

  const slots: Slot[] = Array.from({ length: count }, () => ({ worker: undefined, startedAt: 0, crashes: 0, listened: false }));
  let stopping = false;
  let startupFailures = 0;
  let announced = false;
  /** When recent worker exits happened (ms), for crash-loop detection. */
  let exits: number[] = [];
  const crashLoopLimit = Math.max(6, CRASH_LOOP_EXITS_PER_WORKER * count);
  // A worker's /metrics asks the primary for the node's numbers: the sum over every worker.
  if (config.metrics.enabled) serveClusterScrapes();

  const fork = (i: number): void => {
    if (stopping) return;
    const slot = slots[i]!;
    const worker = cluster.fork({ TESSERA_WORKER_INDEX: String(i) });
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.listened = false;
    worker.once('listening', (address) => {
      slot.listened = true;
      startupFailures = 0;
      if (!announced) {
        announced = true;
        const host = address.address ?? config.host;
        const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
        // Metrics aggregated across workers, when served, answer where the admin API or the main listener does.
        banner({ url, issuer: config.issuer, store, signing: { kid: prepared.kid, alg: prepared.alg }, workers: count, ...(prepared.masterKeyFile ? { masterKeyFile: prepared.masterKeyFile } : {}), ...(config.adminListen ? { adminUrl: `http://${config.adminListen}` } : {}) });
      }
    });
    worker.once('exit', (code, signal) => {
      slot.worker = undefined;
      if (stopping) return;
      if (!slot.listened && ++startupFailures >= MAX_STARTUP_FAILURES) {
        logger.fatal({ code, signal }, `${MAX_STARTUP_FAILURES} workers in a row exited before listening; giving up (see the worker errors above)`);
        void stop('startup-failure', 1);
        return;
      }
      const at = Date.now();
      exits = exits.filter((t) => at - t < CRASH_LOOP_WINDOW_MS);
      exits.push(at);
      if (exits.length >= crashLoopLimit) {
        logger.fatal({ code, signal, exits: exits.length, windowMs: CRASH_LOOP_WINDOW_MS }, `workers are crash-looping (${exits.length} exits within ${CRASH_LOOP_WINDOW_MS / 1000} s); exiting so that the supervisor restarts Tessera`);
        void stop('crash-loop', 1);
        return;
      }
      slot.crashes = at - slot.startedAt > HEALTHY_AFTER_MS ? 1 : slot.crashes + 1;
      const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** (slot.crashes - 1));
      logger.error({ worker: i, pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker exited unexpectedly; restarting');
      // A ref'd timer: when every worker died at once it is all that keeps the primary alive until the restart
      // (unref'd, the primary exited 0 with the port gone; issue 18, item 14).
      setTimeout(() => fork(i), delay);
    });
  };

  const stop = async (reason: string, exitCode = 0): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: reason }, 'shutting down: workers finish in-flight requests');
    const live = slots.map((s) => s.worker).filter((w): w is Worker => w !== undefined && !w.isDead());
    const gone = live.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    for (const w of live) w.process.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const w of live) if (!w.isDead()) w.process.kill('SIGKILL');
    }, STOP_GRACE_MS);
    killer.unref();
    await Promise.all(gone);
    clearTimeout(killer);
    process.exit(exitCode);
  };

  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // The primary lives as long as it has workers or a restart pending; an empty event loop while not stopping
  // means a restart was lost. Never let that pass as a clean exit 0.
  process.on('beforeExit', () => {
    if (stopping) return;
    logger.fatal({}, 'no worker is running and none is scheduled to start; exiting');
    process.exit(1);
  });
  for (let i = 0; i < count; i++) fork(i);
}
