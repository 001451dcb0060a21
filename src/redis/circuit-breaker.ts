export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerSettings {
  /** Command timeouts in a row (no answer in between) that open the breaker. */
  threshold: number;
  /** How long the breaker stays open between two probes. */
  probeIntervalMs: number;
}

export interface BreakerEvents {
  /** The breaker opened: callers use their per-node fallbacks from now on. */
  opened(timeouts: number): void;
  /** A probe was answered: callers use Redis again. */
  closed(): void;
}

/**
 * A circuit breaker for Redis. A Redis that stops answering without closing its connection (paused, swapping,
 * stuck on a slow script) keeps the connection "ready", so every command waits out its timeout and a request
 * making two commands pays two timeouts for as long as the outage lasts. After `threshold` timeouts in a row
 * the breaker opens: callers skip Redis and their per-node fallbacks decide at once. While it is open a probe
 * runs every `probeIntervalMs` in the background (half-open while the probe waits); the first one answered
 * closes it. Any answer while closed resets the count, so one slow command never opens it.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private timeoutsInARow = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** When the breaker last opened (epoch ms), undefined while closed. */
  openedAt: number | undefined;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly probe: () => Promise<unknown>,
    private readonly events: BreakerEvents,
    private readonly clock: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  /** True while Redis may be used. */
  get isClosed(): boolean {
    return this.current === 'closed';
  }

  /** A command was answered (a reply or a Redis error: either way Redis is responsive). */
  answered(): void {
    if (this.current === 'closed') this.timeoutsInARow = 0;
  }

  /** A command timed out. Timeouts while open or probing change nothing: the probe decides. */
  timedOut(): void {
    if (this.current !== 'closed' || this.stopped) return;
    if (++this.timeoutsInARow >= this.settings.threshold) {
      this.current = 'open';
      this.openedAt = this.clock();
      this.events.opened(this.timeoutsInARow);
      this.scheduleProbe();
    }
  }

  /**
   * Back to closed without an event: the connection was closed or re-established, so its own status says
   * whether Redis can be used (and a reconnect's handshake must not be held up by the breaker).
   */
  reset(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.current = 'closed';
    this.timeoutsInARow = 0;
    this.openedAt = undefined;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private scheduleProbe(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.runProbe(), this.settings.probeIntervalMs);
    this.timer.unref();
  }

  private runProbe(): void {
    this.timer = undefined;
    if (this.stopped || this.current !== 'open') return;
    this.current = 'half-open';
    const settle = (ok: boolean) => {
      // A reset (reconnect) or stop meanwhile already decided.
      if (this.stopped || this.current !== 'half-open') return;
      if (ok) {
        this.reset();
        this.events.closed();
      } else {
        this.current = 'open';
        this.scheduleProbe();
      }
    };
    let probing: Promise<unknown>;
    try {
      probing = this.probe();
    } catch {
      probing = Promise.reject(new Error('probe failed'));
    }
    probing.then(
      () => settle(true),
      () => settle(false),
    );
  }
}
