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
import { newRecordCaches, type OAuthContext } from '../oauth/context.js';
import { SecretVerifier } from '../oauth/client-auth/secret-verifier.js';
import { TokenIssuer } from '../oauth/issuer.js';
import { RefreshTokenService } from '../oauth/refresh-tokens.js';
import { Denylist } from '../oauth/denylist.js';
import { RevokedFamilies } from '../oauth/revoked-families.js';
import { JwtIntrospectionCache } from '../oauth/access-tokens/introspection-cache.js';
import { StoreReplayGuard } from '../oauth/replay-guard.js';
import { MemoryRateLimiter } from '../limits/memory.js';
import { MemoryFailureThrottle } from '../limits/memory-throttle.js';
import { ClientAuthThrottle } from '../limits/client-auth-throttle.js';
import { clientAuthPolicy, loginPolicy } from '../limits/throttle-policy.js';
import { applyImportDocument, readImportFile } from '../cli/import-document.js';
import { configureKdfAdmission, resolveKdfConcurrency, setKdfConcurrency } from '../crypto/password-hash.js';
import '../cli/idp-import.js';
import { buildApp } from './app.js';
import { loggerOptions } from './logger.js';
import type { DiscoveryState } from './routes/discovery.js';
import { routePlugins } from './plugins.js';
import { ChangeBus } from '../oauth/change-bus.js';
import { ConflictError } from '../store/errors.js';

export interface RunningServer {
  app: FastifyInstance;
  ctx: OAuthContext;
  url: string;
  masterKey: MasterKey;
  keyCreated: boolean;
  /** Whether JWTs are signed on a thread of their own (config signingThread, ADR 0009). */
  signingThread: boolean;
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

/** The composition root: opens the store, loads keys, wires the OAuth context and the HTTP app, and listens. */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? pino(loggerOptions(config.logLevel));
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const location = { databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize, preparedStatements: config.databasePreparedStatements };
  secureDataFiles(location, logger);
  const store = await openStoreWithRetry(location, { backgroundCheckpoints: true }, { windowMs: config.databaseStartupRetryMs, logger });
  const timers: NodeJS.Timeout[] = [];
  let follower: ChangeFollower | undefined;
  let signer: JwtSigner = inlineSigner;
  // Redis is optional and never required to start: down at start-up means per-node fallbacks until it answers.
  const R = config.redisUrl ? await import('../redis/index.js') : undefined;
  const redis = R && config.redisUrl ? new R.RedisConnection(config.redisUrl, config.redisKeyPrefix, logger, { commandTimeoutMs: config.redisCommandTimeoutMs, breakerThreshold: config.redisBreakerThreshold }) : undefined;
  try {
    if (redis) await redis.connect();
    setKdfConcurrency(resolveKdfConcurrency(config.kdfConcurrency, config.workers));
    configureKdfAdmission(config.kdf);
    const masterKey = loadMasterKey(config.masterKey, config.dataDir);
    const keys = new KeyRing(store, masterKey.key);
    const keyCreated = await keys.init(config.signingAlg);
    if (resolveSigningThread(config.signingThread, config.workers)) signer = new SigningThread(logger);
    if (config.importFile) {
      const apply = () => applyImportDocument(store, readImportFile(config.importFile!), { masterKey: masterKey.key });
      // Several nodes starting at once with the same document race on the first insert; the document is applied
      // in one transaction, so the loser simply applies it again (now as updates).
      await apply().catch((err: unknown) => {
        if (err instanceof ConflictError) return apply();
        throw err;
      });
    }

    const caches = newRecordCaches();
    const denylist = new Denylist(store);
    await denylist.load(now());
    const revokedFamilies = new RevokedFamilies(store, config.maxAccessTokenTtl);
    await revokedFamilies.load(now());
    const changes = new ChangeBus();
    const ctx: OAuthContext = {
      config,
      store,
      keys,
      masterKey: masterKey.key,
      clients: caches.clients,
      users: caches.users,
      secrets: new SecretVerifier(),
      issuer: new TokenIssuer(config, keys, store, now, signer),
      refreshTokens: new RefreshTokenService(config, store, now, revokedFamilies),
      denylist,
      revokedFamilies,
      introspectionCache: new JwtIntrospectionCache(),
      limits: R && redis
        ? { rate: new R.RedisRateLimiter(redis), login: new R.RedisFailureThrottle(redis, loginPolicy(config.loginThrottle)), clientAuth: new ClientAuthThrottle(new R.RedisFailureThrottle(redis, clientAuthPolicy(config.clientAuthThrottle))) }
        : { rate: new MemoryRateLimiter(), login: new MemoryFailureThrottle(loginPolicy(config.loginThrottle)), clientAuth: new ClientAuthThrottle(new MemoryFailureThrottle(clientAuthPolicy(config.clientAuthThrottle))) },
      replay: R && redis ? new R.RedisReplayGuard(redis, new StoreReplayGuard(store)) : new StoreReplayGuard(store),
      logger,
      changes,
      now,
    };

    const discovery: DiscoveryState = { scopes: await scopesOf(store), extraAuthMethods: [], extensions: {} };
    let scopesDirty = false;
    changes.subscribe('client', (key) => {
      ctx.clients.invalidate(key);
      scopesDirty = true;
    });
    changes.subscribe('user', (key) => ctx.users.invalidate(key));
    changes.subscribe('key', () => keys.reload());
    // The durable row carries the exact expiry; the in-memory entry only needs to outlive the token.
    changes.subscribe('jti', (jti) => denylist.add(jti, now() + config.maxAccessTokenTtl));
    changes.subscribe('family', (familyId) => revokedFamilies.add(familyId, now()));
    follower = new ChangeFollower(store.changes, (change) => changes.publish(change.topic, change.key), config.cacheSyncIntervalMs);
    await follower.start();
    if (R && redis) {
      const f = follower;
      const nudge = new R.RedisChangeNudge(redis, () => void f.poll());
      await nudge.start();
      store.changes.onCommit(() => nudge.publish());
    }
    timers.push(
      setInterval(() => {
        if (!scopesDirty) return;
        scopesDirty = false;
        scopesOf(store).then((s) => (discovery.scopes = s), () => (scopesDirty = true));
      }, 2000),
    );
    timers.push(
      setInterval(() => {
        const t = now();
        denylist.sweep(t);
        revokedFamilies.sweep(t);
        Promise.all([
          store.refreshTokens.deleteExpired(t),
          store.accessTokens.deleteExpired(t),
          store.replay.deleteExpired(t),
          store.keys.deleteExpired(t),
          store.changes.prune(t - 3600),
        ]).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'periodic cleanup failed; will retry'));
      }, CLEANUP_INTERVAL_MS),
    );
    for (const t of timers) t.unref();

    const app = await buildApp(ctx, {
      logger,
      trustProxy: config.trustProxy,
      http: config.http,
      logRequests: config.logRequests,
      discovery,
      probes: [
        { name: 'cache_sync', check: async () => ({ ok: follower!.isHealthy, required: false, ...(follower!.lastError ? { detail: follower!.lastError } : {}) }) },
        ...(redis ? [{ name: 'redis', check: async () => ({ ...redis.health(), required: false }) }] : []),
      ],
      plugins: routePlugins,
    });
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    // Fastify logs this line itself when it has the logger (request logging on, app.ts); one line per process
    // either way (a --workers run logs one per worker).
    if (!config.logRequests) logger.info({ url }, `Server listening at ${url}`);
    // An ephemeral port (tests) is only known now; an explicitly configured issuer is never rewritten.
    if (config.port === 0 && config.issuer === url.replace(/:\d+$/, ':0')) (config as { issuer: string }).issuer = url;

    let closed = false;
    return {
      app,
      ctx,
      url,
      masterKey,
      keyCreated,
      signingThread: signer.threaded,
      async close() {
        if (closed) return;
        closed = true;
        for (const t of timers) clearInterval(t);
        follower?.stop();
        // app.close() stops accepting and waits for in-flight requests. Keep-alive connections idle at that moment
        // are closed at once; those that become idle when their last request finishes must be closed too, or
        // the process would wait for the client's keep-alive to lapse.
        const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
        try {
          await app.close();
        } finally {
          clearInterval(sweep);
        }
        await signer.close();
        await redis?.close();
        await store.close();
      },
    };
  } catch (err) {
    // Release everything, then report the start-up error itself: a close that fails must not replace it.
    for (const t of timers) clearInterval(t);
    follower?.stop();
    await signer.close().catch(() => undefined);
    await redis?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}
