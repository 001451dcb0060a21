/**
 * Admission control for KDF work (argon2id verifications). A KDF costs ~10-30 ms of a core and 19 MiB; a request
 * that triggers one (an uncached client secret, an unknown client's dummy verification, a password login) costs
 * the sender almost nothing, so the per-IP request limit, thousands a second, is far above what the KDF drains.
 * Unbounded, one address queued a thousand dummy verifications and every login waited seconds behind them.
 *
 * So: at most `concurrency` KDFs run at once; the rest wait in a bounded queue, each for at most `maxWaitMs`;
 * every source address holds at most `perAddress` KDFs queued or running; and a free slot goes to the waiting
 * address with the fewest KDFs running (round-robin among equals), so a newcomer is served at the next free
 * slot, not behind a flooder's whole share.
 * Work without an address (operator tools: the CLI, the import document) waits its turn but is never refused.
 * A waiting KDF whose requester has gone (its connection closed before the answer) leaves the queue and gives
 * its address's share back; a running one finishes (argon2 cannot be interrupted). Otherwise a client that
 * gives up on waiting requests, a load generator's abandoned warm-up, kept its address refused until they ran.
 */

export type KdfRefusalReason =
  /** The address already holds its share of queued and running KDFs. */
  | 'address_budget'
  /** The queue is full. */
  | 'queue_full'
  /** No slot came free within maxWaitMs. */
  | 'deadline'
  /** The requester went away while the KDF waited (nobody is left to answer). */
  | 'abandoned';

/** Thrown (as a rejection) when a KDF is not admitted; the protocol layer turns it into 429 or 503. */
export class KdfRefusal extends Error {
  constructor(
    readonly reason: KdfRefusalReason,
    readonly retryAfterSeconds: number,
  ) {
    super(`KDF not admitted: ${reason}`);
    this.name = 'KdfRefusal';
  }
}

export interface KdfGateSettings {
  /** KDFs running at once. */
  concurrency: number;
  /** KDFs of network requests waiting for a slot (running ones not counted). */
  maxQueue: number;
  /** Longest wait for a slot, in milliseconds. */
  maxWaitMs: number;
  /** KDFs queued or running at once for one source address. */
  perAddress: number;
}

interface Waiter {
  readonly address: string | null;
  resolve(): void;
  timer: NodeJS.Timeout | undefined;
  /** The requester's signal and the listener on it, while it waits. */
  gone: AbortSignal | undefined;
  onGone: (() => void) | undefined;
  /** performance.now() when it began to wait. */
  readonly since: number;
}

/** Totals since the gate was made (observability/metrics.ts reads them at a scrape). */
export interface KdfGateStats {
  /** KDFs that waited for a slot and got one, and their waits summed (seconds). */
  waited: number;
  waitSeconds: number;
  /** KDFs not admitted, by reason. */
  readonly refused: Record<KdfRefusalReason, number>;
}

/**
 * The requester's departure, asked for only when its KDF must wait: the signal (and the listener the caller puts
 * on its connection for it) is made then, so a KDF that runs at once, the common case, costs neither.
 */
export type WhenGone = () => AbortSignal;

/** The wait a refused client is told (Retry-After, seconds): a KDF slot turns over in well under a second. */
const RETRY_AFTER_SECONDS = 1;

export class KdfGate {
  private settings: KdfGateSettings;
  private running = 0;
  /** Of those, operator tools' (no address). */
  private runningInternal = 0;
  /** Waiters of network requests (the bounded part of the queue). */
  private queued = 0;
  /** Waiters of operator tools (no address; unbounded, never refused). */
  private queuedInternal = 0;
  /** address -> its waiters in arrival order. The Map's order is the turn order: the first lane is served next. */
  private readonly lanes = new Map<string | null, Waiter[]>();
  /** address -> KDFs it has queued or running. */
  private readonly held = new Map<string, number>();
  /** Plain counters, bumped where the gate decides: no allocation on the path of a KDF. */
  readonly stats: KdfGateStats = { waited: 0, waitSeconds: 0, refused: { address_budget: 0, queue_full: 0, deadline: 0, abandoned: 0 } };

  constructor(settings: KdfGateSettings) {
    this.settings = { ...settings };
  }

  configure(settings: Partial<KdfGateSettings>): void {
    const next = { ...this.settings, ...settings };
    for (const [name, value] of Object.entries(next)) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`KDF ${name} must be a positive integer`);
    }
    this.settings = next;
    // A raised concurrency starts queued work at once.
    this.pump();
  }

  /** KDFs running now and waiting for a slot (observability and tests). */
  load(): { running: number; waiting: number; limit: number } {
    return { running: this.running, waiting: this.queued + this.queuedInternal, limit: this.settings.concurrency };
  }

  /**
   * Runs `work` once a slot is free. `address` is the request's source address, or null for operator tools.
   * Rejects with KdfRefusal, without running `work`, when the address is over its share, the queue is full or
   * the wait passes maxWaitMs. Admission is decided synchronously, in the order of the calls. With `whenGone`
   * (network requests only), a waiting KDF whose signal aborts leaves the queue, frees its share and rejects
   * with KdfRefusal 'abandoned' without running `work`; once running it is not affected.
   */
  async run<T>(address: string | null, work: () => Promise<T>, whenGone?: WhenGone): Promise<T> {
    if (address !== null) this.admit(address);
    if (this.running < this.settings.concurrency) this.start(address);
    else await this.enqueue(address, address === null ? undefined : whenGone);
    try {
      return await work();
    } finally {
      this.release(address);
    }
  }

  private admit(address: string): void {
    const held = this.held.get(address) ?? 0;
    if (held >= this.settings.perAddress) throw this.refuse('address_budget');
    if (this.running >= this.settings.concurrency && this.queued >= this.settings.maxQueue) throw this.refuse('queue_full');
    this.held.set(address, held + 1);
  }

  /** Resolves when a finishing KDF has handed this waiter its slot (running already counts it). */
  private enqueue(address: string | null, whenGone: WhenGone | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const gone = whenGone?.();
      if (gone?.aborted) {
        // Gone before it could queue (e.g. while it waited for its turn at the login lock): never queued.
        this.unhold(address!);
        reject(this.refuse('abandoned'));
        return;
      }
      const waiter: Waiter = { address, resolve, timer: undefined, gone, onGone: undefined, since: performance.now() };
      if (gone) {
        waiter.onGone = () => {
          this.drop(waiter);
          reject(this.refuse('abandoned'));
        };
        gone.addEventListener('abort', waiter.onGone, { once: true });
      }
      if (address === null) this.queuedInternal++;
      else {
        this.queued++;
        waiter.timer = setTimeout(() => {
          this.drop(waiter);
          reject(this.refuse('deadline'));
        }, this.settings.maxWaitMs);
        // A waiting KDF is no reason to keep the process alive.
        waiter.timer.unref();
      }
      const lane = this.lanes.get(address);
      if (lane) lane.push(waiter);
      else this.lanes.set(address, [waiter]);
    });
  }

  private refuse(reason: KdfRefusalReason): KdfRefusal {
    this.stats.refused[reason]++;
    return new KdfRefusal(reason, RETRY_AFTER_SECONDS);
  }

  /** A waiter whose deadline passed or whose requester went leaves the queue and gives its address's share back. */
  private drop(waiter: Waiter): void {
    this.unwatch(waiter);
    const lane = this.lanes.get(waiter.address)!;
    lane.splice(lane.indexOf(waiter), 1);
    if (lane.length === 0) this.lanes.delete(waiter.address);
    this.queued--;
    this.unhold(waiter.address!);
  }

  /** Stops the waiter's deadline and its watch on the requester (it leaves the queue, one way or the other). */
  private unwatch(waiter: Waiter): void {
    if (waiter.timer) clearTimeout(waiter.timer);
    if (waiter.onGone) waiter.gone!.removeEventListener('abort', waiter.onGone);
  }

  private start(address: string | null): void {
    this.running++;
    if (address === null) this.runningInternal++;
  }

  private release(address: string | null): void {
    if (address !== null) this.unhold(address);
    else this.runningInternal--;
    this.running--;
    this.pump();
  }

  private unhold(address: string): void {
    const held = this.held.get(address)! - 1;
    if (held === 0) this.held.delete(address);
    else this.held.set(address, held);
  }

  /** KDFs running for this address now (its held ones minus its waiting ones). */
  private runningFor(address: string | null, lane: Waiter[]): number {
    return address === null ? this.runningInternal : this.held.get(address)! - lane.length;
  }

  /**
   * The lane to serve next: the address with the fewest KDFs running, the first in turn order among equals.
   * At most maxQueue addresses wait (plus the operator's lane), and this runs once per finished KDF.
   */
  private nextLane(): [string | null, Waiter[]] | undefined {
    let best: [string | null, Waiter[]] | undefined;
    let fewest = Infinity;
    for (const entry of this.lanes) {
      const running = this.runningFor(entry[0], entry[1]);
      if (running < fewest) {
        best = entry;
        fewest = running;
        if (running === 0) break;
      }
    }
    return best;
  }

  /** Hands free slots to waiters (see nextLane), never above the concurrency. */
  private pump(): void {
    while (this.running < this.settings.concurrency) {
      const next = this.nextLane();
      if (!next) return;
      const [address, lane] = next;
      const waiter = lane.shift()!;
      // This address had its turn: it goes to the back of the turn order, or leaves it when it has no more waiters.
      this.lanes.delete(address);
      if (lane.length > 0) this.lanes.set(address, lane);
      this.unwatch(waiter);
      if (address === null) this.queuedInternal--;
      else this.queued--;
      this.start(address);
      this.stats.waited++;
      this.stats.waitSeconds += (performance.now() - waiter.since) / 1000;
      waiter.resolve();
    }
  }
}
