import type { Logger } from 'pino';

interface Down {
  since: number;
  failures: number;
  timer?: NodeJS.Timeout;
}

/** At most this many upstreams are remembered as down at once (client jwks_uri hosts are the operator's clients'). */
const MAX_TRACKED = 1000;

/**
 * Upstream outages logged once per state change (issue 21): the first failure of an upstream (the database, a
 * JWKS host, an identity provider) is one warn line, further failures only count, and the first success after
 * them is one info line with how long it was down and how many calls failed. Without this every request during
 * an outage logged its own line (and the database's, a stack trace). Redis has its own, the same way
 * (redis/connection.ts). Per server: built in createOAuthContext.
 */
export class OutageLog {
  private readonly down = new Map<string, Down>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * `upstream` failed. `probe`, when given, is retried every `probeMs` in the background until it succeeds (for
   * an upstream nothing else would call again soon, such as the database between requests).
   */
  failed(upstream: string, fields: Record<string, unknown>, reason: string, probe?: { run: () => Promise<unknown>; everyMs: number }): void {
    const d = this.down.get(upstream);
    if (d) {
      d.failures++;
      return;
    }
    if (this.down.size >= MAX_TRACKED) return;
    const entry: Down = { since: this.clock(), failures: 1 };
    this.down.set(upstream, entry);
    this.logger.warn({ upstream, ...fields, reason }, `${upstream} unavailable`);
    if (probe) this.schedule(upstream, fields, entry, probe);
  }

  /** `upstream` answered: logs the recovery if it was down. */
  succeeded(upstream: string, fields: Record<string, unknown> = {}): void {
    const d = this.down.get(upstream);
    if (!d) return;
    this.down.delete(upstream);
    if (d.timer) clearTimeout(d.timer);
    this.logger.info({ upstream, ...fields, downForMs: this.clock() - d.since, failedCalls: d.failures }, `${upstream} available again`);
  }

  isDown(upstream: string): boolean {
    return this.down.has(upstream);
  }

  /** Stops the probes (server shutdown). */
  stop(): void {
    for (const d of this.down.values()) if (d.timer) clearTimeout(d.timer);
  }

  private schedule(upstream: string, fields: Record<string, unknown>, entry: Down, probe: { run: () => Promise<unknown>; everyMs: number }): void {
    entry.timer = setTimeout(() => {
      if (this.down.get(upstream) !== entry) return;
      probe.run().then(
        () => this.succeeded(upstream, fields),
        () => {
          if (this.down.get(upstream) === entry) this.schedule(upstream, fields, entry, probe);
        },
      );
    }, probe.everyMs);
    entry.timer.unref();
  }
}
