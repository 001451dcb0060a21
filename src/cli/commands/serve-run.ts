import cluster from 'node:cluster';
import pino from 'pino';
import { loggerOptions } from '../../http/logger.js';
import { runPrimary, workerCount } from '../cluster.js';
import { loadConfig, type ConfigFlags } from '../../config.js';
import { startServer } from '../../http/server.js';
import { describeStore } from '../../store/open.js';
import { enabledProfiles } from '../../http/profiles/index.js';
import { startupFailure } from '../startup-error.js';

/** `tessera serve`: loaded by the command's action only (src/cli/commands/serve.ts). */
export async function runServe(flags: ConfigFlags): Promise<void> {
  const config = loadConfig(flags);
  // A profile combination that cannot be mounted is a configuration error: refuse it before opening the
  // store or forking workers that would each fail on it.
  enabledProfiles(config);
  // Every start-up failure becomes one line on stderr and a non-zero exit (cli/main.ts prints it).
  const failed = (err: unknown): never => {
    throw startupFailure(err, config);
  };
  const workers = workerCount(config.workers);
  if (workers > 1 && cluster.isPrimary) {
    await runPrimary(config, workers, pino(loggerOptions(config.logLevel))).catch(failed);
    return;
  }
  // The primary applied --import before forking (cli/cluster.ts).
  const server = await startServer(cluster.isWorker ? { ...config, importFile: undefined } : config).catch(failed);
  const log = server.ctx.logger;
  if (cluster.isWorker) {
    log.debug({ worker: process.env.TESSERA_WORKER_INDEX, pid: process.pid, url: server.url }, 'worker listening');
    // The primary went away (killed, crashed): do not linger as an orphan holding the port.
    process.once('disconnect', () => stop('primary-gone'));
  } else {
    const signing = server.ctx.keys.active;
    log.info({ url: server.url, issuer: server.ctx.config.issuer, store: describeStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }), signing: { kid: signing.kid, alg: signing.alg, backend: signing.backend, thread: server.signingThread } }, 'Tessera is serving');
  }
  if (server.masterKey.created) log.info({ masterKeyFile: server.masterKey.path }, 'created the master key file (keep it safe: it decrypts the signing keys)');
  else if (server.masterKey.path) log.info({ masterKeyFile: server.masterKey.path }, 'using the master key file');
  if (server.keyCreated) log.info({ kid: server.ctx.keys.active.kid, alg: server.ctx.keys.active.alg }, 'created the first signing key');
  let stopping = false;
  function stop(signal: string): void {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    // In-flight requests get a bounded time; a stuck dependency must not keep a stopping process alive.
    setTimeout(() => process.exit(1), 25_000).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
