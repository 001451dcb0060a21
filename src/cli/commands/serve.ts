import cluster from 'node:cluster';
import type { Command } from 'commander';
import pino from 'pino';
import { loggerOptions } from '../../http/logger.js';
import { runPrimary, workerCount } from '../cluster.js';
import { loadConfig, type ConfigFlags } from '../../config.js';
import { startServer } from '../../http/server.js';
import { describeStore } from '../../store/open.js';
import { collect } from '../context.js';
import { enabledProfiles } from '../../http/profiles/index.js';
import { startupFailure } from '../startup-error.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the token server')
    .option('--port <port>', 'listen port (default 8080)')
    .option('--host <host>', 'listen address (default 127.0.0.1)')
    .option('--admin-listen <host:port>', 'serve the admin API only on this address (default: on the main listener)')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .option('--issuer <url>', 'issuer identifier (default http://HOST:PORT)')
    .option('--config <file>', 'JSON config file')
    .option('--import <file>', 'apply this import document before serving')
    .option('--database-url <url>', 'postgres://... (default: SQLite in the data dir)')
    .option('--redis-url <url>', 'redis://... for shared limits, denylist and cache invalidation')
    .option('--workers <n>', 'worker processes: a number or "auto"')
    .option('--registration', 'enable dynamic client registration (RFC 7591/7592) at /oauth/register')
    .option('--profile <name[=prefix]>', 'enable a compatibility profile: cobo, knetik, smscx (repeatable)', collect)
    .action(async (flags: ConfigFlags) => {
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
    });
}
