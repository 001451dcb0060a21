import cluster from 'node:cluster';
import type { Command } from 'commander';
import { createLogger, resolveLogFormat } from '../../http/logger.js';
import { startTracing } from '../../observability/otel-sdk.js';
import { logBanner } from '../banner.js';
import { runPrimary, workerCount } from '../cluster.js';
import { loadConfig, type ConfigFlags } from '../../config.js';
import { startServer } from '../../http/server.js';
import { describeStore } from '../../store/open.js';
import { collect } from '../context.js';
import { enabledProfiles } from '../../http/profiles/index.js';
import { startupFailure } from '../startup-error.js';

/** Reported as service.version on spans. */
const VERSION = '0.1.0';

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
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--tls-client-ca <file>', 'PEM CA bundle that tls_client_auth client certificates must chain to (RFC 8705)')
    .option('--metrics-public', 'serve /metrics without a bearer token (default: tessera:metrics or tessera:admin scope required)')
    .option('--profile <name[=prefix]>', 'enable a compatibility profile: cobo, knetik, smscx (repeatable)', collect)
    .option('--log-format <format>', 'pretty, json or auto (default: pretty on a terminal, else json)')
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
      const format = resolveLogFormat(config.logFormat, process.stdout.isTTY === true);
      const logger = await createLogger(config.logLevel, format, process.stdout, format === 'pretty' && process.stdout.isTTY === true);
      if (workers > 1 && cluster.isPrimary) {
        await runPrimary(config, workers, logger, (info) => logBanner(logger, info, format === 'pretty')).catch(failed);
        return;
      }
      // Each serving process (every --workers worker) runs its own OpenTelemetry SDK, when OTEL_* asks for one.
      const tracing = await startTracing(config.tracing, logger, { version: VERSION }).catch(failed);
      // The primary applied --import before forking (cli/cluster.ts).
      const server = await startServer(cluster.isWorker ? { ...config, importFile: undefined } : config, { logger }).catch(failed);
      const log = server.ctx.logger;
      if (cluster.isWorker) {
        log.info({ worker: process.env.TESSERA_WORKER_INDEX, url: server.url }, `Server listening at ${server.url}`);
        // The primary went away (killed, crashed): do not linger as an orphan holding the port.
        process.once('disconnect', () => stop('primary-gone'));
      } else {
        if (server.masterKey.created) log.warn({ masterKeyFile: server.masterKey.path }, 'created the master key file (keep it safe: it decrypts the signing keys)');
        if (server.keyCreated) log.info({ kid: server.ctx.keys.active.kid, alg: server.ctx.keys.active.alg }, 'created the first signing key');
        const signing = server.ctx.keys.active;
        logBanner(
          log,
          {
            url: server.url,
            issuer: server.ctx.config.issuer,
            store: describeStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }),
            signing: { kid: signing.kid, alg: signing.alg, thread: server.signingThread },
            ...(server.adminUrl ? { adminUrl: server.adminUrl } : {}),
            ...(server.metricsUrl ? { metricsUrl: server.metricsUrl } : {}),
            ...(server.masterKey.path ? { masterKeyFile: server.masterKey.path } : {}),
          },
          format === 'pretty',
        );
      }
      let stopping = false;
      function stop(signal: string): void {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'shutting down: finishing in-flight requests');
        // In-flight requests get a bounded time; a stuck dependency must not keep a stopping process alive.
        setTimeout(() => process.exit(1), 25_000).unref();
        server
          .close()
          .then(() => tracing?.shutdown())
          .then(
          () => process.exit(0),
          () => process.exit(1),
        );
      }
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
