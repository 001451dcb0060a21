import type { EventStore } from '../store/types.js';
import type { EventSink, EventType, SecurityEvent } from './events.js';
import { keepsEvent, takesType, type IssuedSetting } from './issued-filter.js';

export interface AuditStoreOptions extends IssuedSetting {
  /** A batch is written at most this long after its first event (well under the 1 s an operator waits for). */
  readonly flushIntervalMs: number;
  /** ... or as soon as this many are queued. */
  readonly batchSize: number;
  /** Beyond this many queued events new ones are dropped and counted (a store outage must not eat the heap). */
  readonly maxQueue: number;
}

/**
 * The durable audit trail: events are queued in memory and written in batches off the request (DESIGN.md,
 * "Background work ..."): one multi-row INSERT per flush instead of a write per event, so with token.issued on a
 * SQLite writer costs a few hundred microseconds per interval rather than one statement per token. A failed
 * write keeps its batch at the head of the queue and is retried at the next tick (ids are skipped on conflict,
 * so a write that did land is not doubled). The queue is bounded; what did not fit is counted in `dropped`.
 */
export class AuditStoreSink implements EventSink {
  readonly name = 'audit-store';
  private queue: SecurityEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  /** Events dropped because the queue was full (read by the metrics: tessera_events_dropped_total{sink}). */
  dropped = 0;
  /** The last write error, cleared by a successful write. */
  lastError: string | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly opts: AuditStoreOptions,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  takes(type: EventType): boolean {
    return takesType(this.opts, type);
  }

  /** Events waiting to be written (a gauge for the metrics). */
  get queued(): number {
    return this.queue.length;
  }

  accept(event: SecurityEvent): void {
    if (!keepsEvent(this.opts, event.type)) return;
    if (this.queue.length >= this.opts.maxQueue) {
      this.dropped++;
      return;
    }
    this.queue.push(event);
    if (this.queue.length >= this.opts.batchSize) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.opts.flushIntervalMs).unref();
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing) return; // the running write picks the rest up when it ends
    this.writing = this.writeAll().finally(() => {
      this.writing = undefined;
      // Still queued (more arrived, or the write failed): come back after an interval, never in a tight loop.
      if (this.queue.length > 0) this.timer ??= setTimeout(() => this.kick(), this.opts.flushIntervalMs).unref();
    });
  }

  private async writeAll(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.opts.batchSize);
      try {
        await this.store.insertMany(batch);
      } catch (err) {
        this.lastError = (err as Error).message;
        this.onError(err);
        return;
      }
      this.lastError = undefined;
      this.queue.splice(0, batch.length);
    }
  }

  /** Writes everything queued now (shutdown: EventHub.flush); one failed attempt ends it with the error. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // One writer at a time: two would both take the head of the queue.
    while (this.writing) await this.writing;
    const final = this.writeAll();
    this.writing = final;
    await final.finally(() => (this.writing = undefined));
    if (this.queue.length > 0) throw new Error(`${this.queue.length} audit events could not be written: ${this.lastError ?? 'unknown error'}`);
  }
}
