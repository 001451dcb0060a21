import cluster from 'node:cluster';
import { basename } from 'node:path';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Store } from '../store/types.js';
import { openStoreWithRetry } from '../store/startup-retry.js';
import { secureDataFiles } from '../store/data-files.js';
import { ChangeFollower } from '../store/change-follower.js';
import { loadMasterKey, type MasterKey } from '../keys/master-key.js';
import { inlineSigner, resolveSigningThread, SigningThread, type JwtSigner } from '../keys/signing-thread.js';
import { KeyRing } from '../keys/key-ring.js';
import { KeyRotationScheduler } from '../keys/rotation-schedule.js';
import { createOAuthContext, resolveIssuer, type OAuthContext } from '../oauth/context.js';
import { federationExtension } from '../federation/federation.js';
import { StoreReplayGuard } from '../oauth/replay-guard.js';
import type { Limits } from '../limits/types.js';
import { MemoryRateLimiter } from '../limits/memory.js';
import { MemoryFailureThrottle } from '../limits/memory-throttle.js';
import { ClientAuthThrottle } from '../limits/client-auth-throttle.js';
import { bearerPolicy, clientAuthPolicy, loginPolicy } from '../limits/throttle-policy.js';
import { readImportFile } from '../admin/import-document.js';
import { applyImportDocument } from '../admin/import-apply.js';
import { CONSOLE_CLIENT_ID, ensureConsoleClient } from '../admin/console-client.js';
import { configureKdfAdmission, kdfLoad, kdfStats, resolveKdfConcurrency, setKdfConcurrency } from '../crypto/password-hash.js';
import { Metrics } from '../observability/metrics.js';
import { answerCollects, scrapeNode } from '../observability/metrics-cluster.js';
import { buildApp } from './app.js';
import { loggerOptions } from './logger.js';
import type { DiscoveryState } from './routes/discovery.js';
import type { ReadinessProbe } from './routes/health.js';
import { routePlugins } from './plugins.js';
import { ConflictError } from '../store/errors.js';
import { tracingOn } from '../observability/tracing.js';
import { tracedSigner, tracedStore } from '../observability/traced.js';
import { createNodeEvents, type NodeEvents } from '../observability/event-sinks.js';
import { loadTlsMaterial } from './tls.js';

export interface RunningServer {
  app: FastifyInstance;
  ctx: OAuthContext;
  url: string;
  /** The admin listener's URL when config adminListen gives the admin API a listener of its own. */
  adminUrl?: string;
  /** Where GET /metrics answers, when a route serves it (the start-up banner names it). */
  metricsUrl?: string;
  masterKey: MasterKey;
  keyCreated: boolean;
  /** Whether JWTs are signed on a thread of their own (config signingThread, ADR 0009). */
  signingThread: boolean;
  /** The event hub's sinks (the audit sink's dropped/queued counters are for the metrics). */
  events: NodeEvents;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  now?: () => number;
}

const CLEANUP_INTERVAL_MS = 60_000;

/**
 * `scopes_supported`: a sample of the clients' scopes, 10,000 rows of the scope column only (whole rows in
 * client_id order took ~200 ms of start-up on a 1,000,000-client store).
 */
function scopesOf(store: Store): Promise<string[]> {
  return store.clients.scopeSample(10_000);
}

type RedisModule = typeof import('../redis/index.js');
type RedisConnection = InstanceType<RedisModule['RedisConnection']>;

/** Redis, when configured: the module (loaded only then) and the connection. */
interface RedisParts {
  R: RedisModule;
  redis: RedisConnection;
}

/** The per-node limit backends: Redis-backed when configured (with their per-node fallbacks), else in-process. */
function limitsFor(config: Config, redis: RedisParts | undefined): Limits {
  if (!redis) {
    return { rate: new MemoryRateLimiter(), login: new MemoryFailureThrottle(loginPolicy(config.loginThrottle)), clientAuth: new ClientAuthThrottle(new MemoryFailureThrottle(clientAuthPolicy(config.clientAuthThrottle))), bearer: new MemoryFailureThrottle(bearerPolicy(config.clientAuthThrottle)) };
  }
  const { R, redis: r } = redis;
  return { rate: new R.RedisRateLimiter(r), login: new R.RedisFailureThrottle(r, loginPolicy(config.loginThrottle)), clientAuth: new ClientAuthThrottle(new R.RedisFailureThrottle(r, clientAuthPolicy(config.clientAuthThrottle))), bearer: new R.RedisFailureThrottle(r, bearerPolicy(config.clientAuthThrottle)) };
}

/** What start-up opened, closed in reverse order of dependence (also when start-up fails half way). */
interface Opened {
  store: Store;
  redis?: RedisConnection;
  signer: JwtSigner;
  jobs?: BackgroundJobs;
  /** The Fastify apps, closed when start-up fails after building them (a listening admin app holds its port). */
  apps?: FastifyInstance[];
}

async function releaseAll(o: Opened): Promise<void> {
  await o.signer.close();
  await o.redis?.close();
  await o.store.close();
}

/**
 * Step 1: the context. Keys, the optional start-up import, the limit backends and the OAuth context with every
 * per-server cache and subscription (createOAuthContext). Nothing runs in the background yet.
 */
async function buildContext(config: Config, opened: Opened, logger: Logger, now: () => number, redis: RedisParts | undefined, nodeEvents: NodeEvents): Promise<{ ctx: OAuthContext; masterKey: MasterKey; keyCreated: boolean }> {
  const { store } = opened;
  const events = nodeEvents.hub;
  setKdfConcurrency(resolveKdfConcurrency(config.kdfConcurrency, config.workers));
  configureKdfAdmission(config.kdf);
  const masterKey = loadMasterKey(config.masterKey, config.dataDir);
  // The ring reads the server's clock: scheduled keys start signing at their activation time by it.
  const keys = new KeyRing(store, masterKey.key, undefined, now);
  const keyCreated = await keys.init(config.signingAlg);
  if (resolveSigningThread(config.signingThread, config.workers)) opened.signer = new SigningThread(logger);
  if (config.importFile) {
    const audit = { events, actor: { kind: 'import' as const, id: basename(config.importFile) } };
    const apply = () => applyImportDocument(store, readImportFile(config.importFile!), { masterKey: masterKey.key, defaults: { accessTokenTtl: config.accessTokenTtl }, audit });
    // Several nodes starting at once with the same document race on the first insert; the document is applied
    // in one transaction, so the loser simply applies it again (now as updates).
    await apply().catch((err: unknown) => {
      if (err instanceof ConflictError) return apply();
      throw err;
    });
  }
  // The web console's public client (admin/console-client.ts), after the import so a document may define it.
  if (config.console.enabled) {
    const created = await ensureConsoleClient(store, { masterKey: masterKey.key, defaults: { accessTokenTtl: config.accessTokenTtl }, audit: { events, actor: { kind: 'system', id: 'console' } } });
    if (created) logger.info({ client_id: CONSOLE_CLIENT_ID }, 'created the web console client');
  }
  // Tracing on (observability/tracing.ts): the context sees a store and a signer that make spans; off, the originals.
  const traced = tracingOn();
  const ctx = await createOAuthContext(
    {
      config,
      store: traced ? tracedStore(store) : store,
      keys,
      masterKey: masterKey.key,
      signer: traced ? tracedSigner(opened.signer) : opened.signer,
      limits: limitsFor(config, redis),
      replay: redis ? new redis.R.RedisReplayGuard(redis.redis, new StoreReplayGuard(store)) : new StoreReplayGuard(store),
      logger,
      // The node's metrics, made once here; the parts they read at a scrape are added as they start (startServer).
      metrics: new Metrics({ perClient: config.metrics.perClient }),
      events,
      now,
    },
    [federationExtension],
  );
  return { ctx, masterKey, keyCreated };
}

/** The work a server does besides answering requests; stop() ends all of it. */
export interface BackgroundJobs {
  readonly follower: ChangeFollower;
  stop(): void;
}

/**
 * Step 2: background work, started and stopped here only: the change follower (which feeds the context's
 * change bus), the Redis "poll now" nudge, the scope sample of the metadata, the periodic cleanup and the
 * signing-key rotation scheduler.
 * (The checkpointer and the signing thread are the store's and the signer's, opened and closed with them.)
 */
/** How often a node writes the client secrets' last use (docs/tokens.md, "Client secret rotation"). */
const SECRET_USE_FLUSH_MS = 60_000;

/**
 * The cleanup every node runs each CLEANUP_INTERVAL_MS: expired tokens, nonces and keys, the consumed change feed,
 * and audit events past events.retentionDays. Exported for the tests of retention.
 */
export async function periodicCleanup(ctx: OAuthContext): Promise<void> {
  const { store, config } = ctx;
  const t = ctx.now();
  ctx.denylist.sweep(t);
  ctx.revokedFamilies.sweep(t);
  await Promise.all([
    store.refreshTokens.deleteExpired(t),
    store.accessTokens.deleteExpired(t),
    store.replay.deleteExpired(t),
    store.keys.deleteExpired(t),
    store.changes.prune(t - 3600),
    store.events.deleteOlderThan((t - config.events.retentionDays * 86_400) * 1000),
  ]);
}

async function startBackgroundJobs(ctx: OAuthContext, discovery: DiscoveryState, redis: RedisParts | undefined): Promise<BackgroundJobs> {
  const { store, config, logger, now } = ctx;
  const timers: NodeJS.Timeout[] = [];
  const follower = new ChangeFollower(store.changes, (change) => ctx.changes.publish(change.topic, change.key), config.cacheSyncIntervalMs);
  const jobs: BackgroundJobs = {
    follower,
    stop() {
      for (const t of timers) clearInterval(t);
      follower.stop();
    },
  };
  try {
    await follower.start();
    if (redis) {
      const nudge = new redis.R.RedisChangeNudge(redis.redis, () => void follower.poll());
      await nudge.start();
      store.changes.onCommit(() => nudge.publish());
    }
  } catch (err) {
    jobs.stop();
    throw err;
  }
  // scopes_supported follows client changes, re-sampled at most every 2 s.
  let scopesDirty = false;
  ctx.changes.subscribe('client', () => {
    scopesDirty = true;
  });
  timers.push(
    setInterval(() => {
      if (!scopesDirty) return;
      scopesDirty = false;
      scopesOf(store).then((s) => (discovery.scopes = s), () => (scopesDirty = true));
    }, 2000),
  );
  timers.push(
    setInterval(() => {
      periodicCleanup(ctx).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'periodic cleanup failed; will retry'));
    }, CLEANUP_INTERVAL_MS),
  );
  // Each client secret's last use, for operators deciding when a rotation's old secret is unused (approximate by
  // this interval; the token path only counts in memory, secret-usage.ts).
  timers.push(
    setInterval(() => {
      ctx.secrets.usage.flush(store.clients).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'recording client secret use failed; will retry'));
    }, SECRET_USE_FLUSH_MS),
  );
  // Scheduled signing-key rotation (keys/rotation-schedule.ts): every node ticks, the store's compare-and-sets
  // let one of them perform each step. Without keys.rotateEvery it only activates a key already pending.
  const rotation = new KeyRotationScheduler(
    store,
    ctx.keys,
    { rotateEvery: config.keys.rotateEvery, prePublish: config.keys.prePublish, publishFor: config.maxAccessTokenTtl + config.clockSkew, alg: config.signingAlg, masterKey: ctx.masterKey },
    ctx.events,
    now,
  );
  let rotationFailing = false;
  timers.push(
    setInterval(() => {
      rotation.tick().then(
        () => {
          if (rotationFailing) logger.info('signing-key rotation scheduler recovered');
          rotationFailing = false;
        },
        (err: unknown) => {
          // Once per outage, not once per tick.
          if (!rotationFailing) logger.warn({ err: (err as Error).message }, 'signing-key rotation scheduler failed; will retry');
          rotationFailing = true;
        },
      );
    }, KeyRotationScheduler.intervalMs(config.keys.prePublish)),
  );
  for (const t of timers) t.unref();
  return jobs;
}

/** Step 3: listen, and complete the issuer of an ephemeral port (resolveIssuer). */
async function listen(app: FastifyInstance, ctx: OAuthContext): Promise<string> {
  const { config, logger } = ctx;
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `${config.tls.cert ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  // The start-up banner (cli/banner.ts) names the URL once per node; a worker's own listener is a debug line.
  logger.debug({ url }, `listening at ${url}`);
  resolveIssuer(ctx, url);
  return url;
}

/** Listens for the admin API on `address` (HOST:PORT, [v6]:PORT); the URL it serves on. */
async function listenAdmin(app: FastifyInstance, address: string, logger: Logger, scheme: string): Promise<string> {
  const cut = address.lastIndexOf(':');
  const host = address.slice(0, cut).replace(/^\[(.*)\]$/, '$1');
  await app.listen({ host, port: Number(address.slice(cut + 1)) });
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound ? bound.port : Number(address.slice(cut + 1));
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.debug({ url }, `admin API listening at ${url}`);
  return url;
}

/** The composition root: opens the store, builds the context, starts the background jobs and listens. */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? pino(loggerOptions(config.logLevel));
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const location = { databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize, preparedStatements: config.databasePreparedStatements };
  secureDataFiles(location, logger);
  const store = await openStoreWithRetry(location, { backgroundCheckpoints: true }, { windowMs: config.databaseStartupRetryMs, logger });
  const opened: Opened = { store, signer: inlineSigner };
  // Redis is optional and never required to start: down at start-up means per-node fallbacks until it answers.
  const R = config.redisUrl ? await import('../redis/index.js') : undefined;
  if (R && config.redisUrl) opened.redis = new R.RedisConnection(config.redisUrl, config.redisKeyPrefix, logger, { commandTimeoutMs: config.redisCommandTimeoutMs, breakerThreshold: config.redisBreakerThreshold });
  const redis: RedisParts | undefined = R && opened.redis ? { R, redis: opened.redis } : undefined;
  try {
    // Inside the try: a webhook type filter naming no event type is a start-up error that still closes the store.
    const events = createNodeEvents(config, store, logger);
    if (redis) await redis.redis.connect();
    const { ctx, masterKey, keyCreated } = await buildContext(config, opened, logger, now, redis, events);
    const discovery: DiscoveryState = { scopes: await scopesOf(store), extraAuthMethods: [], extensions: {} };
    const jobs = await startBackgroundJobs(ctx, discovery, redis);
    opened.jobs = jobs;
    if (config.metrics.enabled) {
      const eventSinks = [events.audit, ...(events.stream ? [events.stream] : []), ...(events.webhook ? [events.webhook] : [])];
      ctx.metrics.watch({ kdf: { load: kdfLoad, stats: kdfStats }, signer: opened.signer, store: jobs.follower, changeFeed: jobs.follower, eventSinks, tokenHook: ctx.tokenHook, secretUsage: ctx.secrets.usage, ...(events.webhook ? { webhook: events.webhook } : {}), ...(redis ? { redis: redis.redis } : {}) });
    }
    // With --workers, a scrape on any worker answers the sum over the workers (the primary adds them up).
    const inCluster = config.metrics.enabled && cluster.isWorker;
    const stopAnswering = inCluster ? answerCollects(ctx.metrics) : undefined;
    const probes: ReadinessProbe[] = [
      { name: 'cache_sync', check: async () => ({ ok: jobs.follower.isHealthy, required: false, ...(jobs.follower.lastError ? { detail: jobs.follower.lastError } : {}) }) },
      ...(redis ? [{ name: 'redis', check: async () => ({ ...redis.redis.health(), required: false }) }] : []),
    ];
    // TLS files are read once here (config.ts checked that they are readable); a bad PEM stops start-up.
    const tls = loadTlsMaterial(config.tls);
    const appOptions = { tls, logger, trustProxy: config.trustProxy, http: config.http, logRequests: config.logRequests, discovery, probes, plugins: routePlugins, ...(inCluster ? { scrapeMetrics: () => scrapeNode() } : {}) };
    const app = await buildApp(ctx, { ...appOptions, admin: config.adminListen ? 'elsewhere' : 'mounted' });
    // The admin API on a listener of its own (config adminListen), e.g. on an internal network only.
    const adminApp = config.adminListen ? await buildApp(ctx, { ...appOptions, admin: 'only' }) : undefined;
    opened.apps = adminApp ? [app, adminApp] : [app];
    const url = await listen(app, ctx);
    const adminUrl = adminApp ? await listenAdmin(adminApp, config.adminListen!, logger, config.tls.cert ? 'https' : 'http') : undefined;

    const metricsUrl = adminApp?.hasRoute({ method: 'GET', url: '/metrics' }) ? adminUrl : app.hasRoute({ method: 'GET', url: '/metrics' }) ? url : undefined;

    let closed = false;
    return {
      app,
      ctx,
      url,
      ...(adminUrl !== undefined ? { adminUrl } : {}),
      ...(metricsUrl !== undefined ? { metricsUrl: `${metricsUrl}/metrics` } : {}),
      masterKey,
      keyCreated,
      signingThread: opened.signer.threaded,
      events,
      async close() {
        if (closed) return;
        closed = true;
        jobs.stop();
        stopAnswering?.();
        // app.close() stops accepting and waits for in-flight requests. Keep-alive connections idle at that moment
        // are closed at once; those that become idle when their last request finishes must be closed too, or
        // the process would wait for the client's keep-alive to lapse.
        const sweep = setInterval(() => {
          app.server.closeIdleConnections();
          adminApp?.server.closeIdleConnections();
        }, 100);
        try {
          await Promise.all([app.close(), adminApp?.close()]);
        } finally {
          clearInterval(sweep);
        }
        ctx.outages.stop();
        // The last minute of secret use, so a restart does not lose it (best effort: the store may be the problem).
        await ctx.secrets.usage.flush(opened.store.clients).catch((err: unknown) => ctx.logger.warn({ err: (err as Error).message }, 'recording client secret use at shutdown failed'));
        // The events of the last requests reach the table (and the stream) before the store closes.
        await events.hub.flush();
        await releaseAll(opened);
      },
    };
  } catch (err) {
    // Release everything, then report the start-up error itself: a close that fails must not replace it.
    opened.jobs?.stop();
    for (const a of opened.apps ?? []) await a.close().catch(() => undefined);
    await opened.signer.close().catch(() => undefined);
    await opened.redis?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}
