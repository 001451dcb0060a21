import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redactUrl } from '../store/open.js';

/**
 * One process's Redis: a command connection and a subscriber connection (a subscribed ioredis connection
 * cannot run other commands). Redis is an accelerator, never the source of truth: commands fail fast while it
 * is down (no offline queue, one try), callers fall back to per-node behaviour, and ioredis reconnects in the
 * background with a capped backoff. State changes are logged once per transition, not per request.
 */
export class RedisConnection {
  readonly client: Redis;
  readonly subscriber: Redis;
  private lastError: string | undefined;
  /** The error code only (ECONNREFUSED, ...): /readyz must not name hosts or ports. */
  private lastErrorCode: string | undefined;
  private downSince: number | undefined;
  private closed = false;

  constructor(
    readonly url: string,
    readonly prefix: string,
    private readonly logger: Logger,
  ) {
    const options = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      // Redis answers in well under a millisecond; an unresponsive (not refusing) Redis must not add more than
      // this to a request before the per-node fallback decides.
      commandTimeout: 300,
      // Keep trying for ever, at most every 2 s: Redis coming back must be noticed without a restart.
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      connectionName: 'tessera',
    };
    this.client = new Redis(url, options);
    // The subscriber must queue its SUBSCRIBE until connected, and resubscribes itself after a reconnect.
    this.subscriber = new Redis(url, { ...options, enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
    for (const [name, conn] of [['command', this.client], ['subscriber', this.subscriber]] as const) {
      conn.on('error', (err: Error) => this.down(name, err));
      // A server that goes away cleanly closes the socket without an error event; that is an outage too.
      conn.on('close', () => this.down(name, new Error('connection closed')));
      conn.on('ready', () => this.up(name));
    }
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
    // Keep the most informative reason: a later "connection closed" must not hide ECONNREFUSED.
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

  get isReady(): boolean {
    return this.client.status === 'ready' && this.subscriber.status === 'ready';
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
    await Promise.all(
      [this.client, this.subscriber].map(async (c) => {
        try {
          if (c.status === 'ready') await c.quit();
          else c.disconnect();
        } catch {
          c.disconnect();
        }
      }),
    );
  }
}
