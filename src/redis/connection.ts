import { Redis, type Command } from 'ioredis';
import type { Logger } from 'pino';
import { DEFAULTS } from '../config.js';
import { redactUrl } from '../store/open.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { endFailed, SpanKind, startChildSpan, tracingOn } from '../observability/tracing.js';

/** ioredis's rejection of a command that got no answer within commandTimeout. */
const TIMED_OUT = 'Command timed out';
/** How a command is refused while the breaker is open (callers treat it like any Redis failure). */
const BREAKER_OPEN = 'Redis is not answering (circuit breaker open)';

/**
 * An ioredis client whose every command (single, pipelined, MULTI, scripts) passes its breaker: a timeout or an
 * answer is reported to it, and while it is open commands are refused at once instead of waiting out their
 * timeout. Guarding at this one point covers every caller, including rate-limiter-flexible's scripts.
 */
class GuardedRedis extends Redis {
  breaker: CircuitBreaker | undefined;
  /** Set while the breaker's probe is sent (synchronously): the probe is the one command an open breaker lets by. */
  probing = false;

  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    // A client span per command of a traced request (the subscriber and background polls make none).
    if (tracingOn()) {
      const span = startChildSpan(`redis ${command.name}`, { 'db.system.name': 'redis', 'db.operation.name': command.name }, SpanKind.CLIENT);
      // The span follows the command's own promise; what sendCommand returns is left exactly as ioredis made it.
      if (span) command.promise.then(() => span.end(), (err: unknown) => endFailed(span, err));
    }
    return this.guardedSend(command, stream);
  }

  private guardedSend(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    const breaker = this.breaker;
    if (breaker === undefined) return super.sendCommand(command, stream);
    // Only on a ready connection: a reconnect's handshake must never be refused (a reconnect resets the breaker).
    if (!breaker.isClosed && !this.probing && this.status === 'ready') {
      command.reject(new Error(BREAKER_OPEN));
      return command.promise;
    }
    const sent = super.sendCommand(command, stream);
    command.promise.then(
      () => breaker.answered(),
      (err: Error) => {
        if (err.message === TIMED_OUT) breaker.timedOut();
        // A Redis error reply (NOSCRIPT, WRONGTYPE, ...) is an answer too; a closed connection is the status's business.
        else if (err.name === 'ReplyError') breaker.answered();
      },
    );
    return sent;
  }
}

export interface RedisTimeouts {
  /** No Redis command waits longer than this for its answer. */
  commandTimeoutMs: number;
  /** Command timeouts in a row after which Redis is treated as down until a background probe answers. */
  breakerThreshold: number;
  /** How often the probe (PING) runs while the breaker is open. */
  probeIntervalMs: number;
}

/** The configured defaults (config.ts); the probe runs once a second. */
const DEFAULT_REDIS_TIMEOUTS: RedisTimeouts = { commandTimeoutMs: DEFAULTS.redisCommandTimeoutMs, breakerThreshold: DEFAULTS.redisBreakerThreshold, probeIntervalMs: 1000 };

/**
 * One process's Redis: a command connection and a subscriber connection (a subscribed ioredis connection
 * cannot run other commands). Redis is an accelerator, never the source of truth: commands fail fast while it
 * is down (no offline queue, one try), callers fall back to per-node behaviour, and ioredis reconnects in the
 * background with a capped backoff. A Redis that is connected but does not answer (paused, overloaded) is
 * caught by the command timeout and the circuit breaker: after a few timeouts in a row the node stops asking
 * it, probes it in the background and uses it again once it answers. State changes are logged once per
 * transition, not per request.
 */
export class RedisConnection {
  readonly client: Redis;
  readonly subscriber: Redis;
  readonly breaker: CircuitBreaker;
  private lastError: string | undefined;
  /** The error code only (ECONNREFUSED, ...): /readyz must not name hosts or ports. */
  private lastErrorCode: string | undefined;
  private downSince: number | undefined;
  private closed = false;

  constructor(
    readonly url: string,
    readonly prefix: string,
    private readonly logger: Logger,
    timeouts: Partial<RedisTimeouts> = {},
  ) {
    const { commandTimeoutMs, breakerThreshold, probeIntervalMs } = { ...DEFAULT_REDIS_TIMEOUTS, ...timeouts };
    const options = {
      lazyConnect: true,
      // Nothing waits for a connection: while not connected a command is refused at once (per-node fallback).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      // Redis answers in well under a millisecond; a connected but unresponsive Redis costs a command at most
      // this, and only until the breaker opens.
      commandTimeout: commandTimeoutMs,
      // Keep trying for ever, at most every 2 s: Redis coming back must be noticed without a restart.
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      connectionName: 'tessera',
    };
    const client = new GuardedRedis(url, options);
    this.client = client;
    this.breaker = new CircuitBreaker(
      { threshold: breakerThreshold, probeIntervalMs },
      () => {
        client.probing = true;
        try {
          return client.ping();
        } finally {
          client.probing = false;
        }
      },
      {
        opened: (n) => this.down('command', Object.assign(new Error(`${n} commands in a row timed out after ${commandTimeoutMs} ms`), { code: 'timeout' })),
        closed: () => this.up('command'),
      },
    );
    client.breaker = this.breaker;
    // The subscriber must queue its SUBSCRIBE until connected, and resubscribes itself after a reconnect.
    this.subscriber = new Redis(url, { ...options, enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
    for (const [name, conn] of [['command', this.client], ['subscriber', this.subscriber]] as const) {
      conn.on('error', (err: Error) => this.down(name, err));
      // A server that goes away cleanly closes the socket without an error event; that is an outage too.
      conn.on('close', () => this.down(name, new Error('connection closed')));
      conn.on('ready', () => this.up(name));
    }
    // A new connection starts with a closed breaker: its status now says whether Redis can be used, and the
    // handshake of a reconnect (a Redis that answered it is responsive) must not be refused.
    this.client.on('close', () => this.breaker.reset());
    this.client.prependListener('ready', () => this.breaker.reset());
  }

  /** Connects both connections; a Redis that is down at start is a warning, not a failed start. */
  async connect(): Promise<void> {
    await Promise.all(
      [this.client, this.subscriber].map((c) =>
        c.connect().catch((err: unknown) => {
          this.down('connect', err instanceof Error ? err : new Error(String(err)));
        }),
      ),
    );
  }

  private down(which: string, err: Error): void {
    if (this.closed) return;
    // Keep the most informative reason: a later "connection closed" must not hide ECONNREFUSED or a timeout.
    if (!(this.lastError && err.message === 'connection closed')) {
      this.lastError = err.message || (err as { code?: string }).code || 'connection error';
      const code = (err as { code?: unknown }).code;
      this.lastErrorCode = typeof code === 'string' ? code : err.message === 'connection closed' ? 'closed' : undefined;
    }
    if (this.downSince === undefined) {
      this.downSince = Date.now();
      this.logger.warn(
        { redis: redactUrl(this.url), connection: which, err: this.lastError, redis_up: 0 },
        'Redis unavailable: using per-node rate limits, login throttling and replay checks; caches follow the database change feed',
      );
    }
  }

  private up(which: string): void {
    if (this.downSince !== undefined && this.isReady) {
      this.logger.info({ redis: redactUrl(this.url), connection: which, downForMs: Date.now() - this.downSince, redis_up: 1 }, 'Redis available again');
      this.downSince = undefined;
      this.lastError = undefined;
      this.lastErrorCode = undefined;
    }
  }

  /** Redis may be used: both connections are up and the breaker is closed. Callers check it before each use. */
  get isReady(): boolean {
    return this.breaker.isClosed && this.client.status === 'ready' && this.subscriber.status === 'ready';
  }

  /** For /readyz: ok plus a short, secret-free detail. */
  health(): { ok: boolean; detail?: string } {
    if (this.isReady) return { ok: true };
    const since = this.downSince ? `down for ${Math.round((Date.now() - this.downSince) / 1000)} s` : `status ${this.client.status}`;
    return { ok: false, detail: `${since}${this.lastErrorCode ? ` (${this.lastErrorCode})` : ''}; per-node fallback active` };
  }

  key(name: string): string {
    return this.prefix + name;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.breaker.stop();
    await Promise.all(
      [this.client, this.subscriber].map(async (c) => {
        if (c.status === 'ready') {
          // QUIT lets Redis finish what was sent; a Redis that does not answer it (paused) is not waited for.
          const quit = c.quit().catch(() => undefined);
          await Promise.race([quit, new Promise((r) => setTimeout(r, 500).unref())]);
        }
        if (c.status !== 'end') c.disconnect();
      }),
    );
  }
}
