import { createHmac } from 'node:crypto';
import type { EventSink, EventType, SecurityEvent } from './events.js';
import { eventJson } from './event-json.js';
import { keepsEvent, takesType, type IssuedSetting } from './issued-filter.js';

export interface WebhookOptions extends IssuedSetting {
  readonly url: string;
  /** The HMAC-SHA256 key of the Tessera-Signature header; never logged, never sent. */
  readonly secret: string;
  /** Only these event types are sent; empty: every type (token.issued still per events.issued). */
  readonly types: readonly EventType[];
  /** Beyond this many events waiting for delivery new ones are dropped and counted. */
  readonly maxQueue: number;
  /** Events per POST. */
  readonly batchSize: number;
  /** A POST without a 2xx answer within this long has failed (and is retried). */
  readonly timeoutMs: number;
  /** The longest wait between two attempts (exponential backoff from 500 ms, with jitter). */
  readonly maxBackoffMs: number;
  /** At shutdown, how long the last deliveries may take before what is left is given up (and reported). */
  readonly shutdownMs: number;
  /** A batch is sent at most this long after its first event. */
  readonly flushIntervalMs: number;
}

const BASE_BACKOFF_MS = 500;

/** The Tessera-Signature header of `body` at `t` (unix seconds): `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function webhookSignature(secret: string, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/**
 * `events.webhook`: the node's events POSTed as `{ "events": [...] }` (event-json.ts, the admin API's shape) to
 * an operator's URL, signed with HMAC-SHA256 over the timestamp and the body (Tessera-Signature, the scheme of
 * Stripe's webhooks). Delivery is at least once: a batch leaves the queue only after a 2xx answer, so a receiver
 * that answered too late may see a batch twice and recognises the repeat by each event's id. A failed POST is
 * retried after an exponential backoff with full jitter capped at maxBackoffMs; one batch is in flight at a time,
 * so events arrive in order. The queue is bounded: what did not fit is counted in `dropped`.
 *
 * Each node (each process) delivers the events it emitted; nothing is coordinated between nodes.
 */
export class WebhookSink implements EventSink {
  readonly name = 'webhook';
  private queue: SecurityEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<boolean> | undefined;
  /** Consecutive failed attempts of the batch at the head of the queue (0 after a delivery). */
  private attempt = 0;
  private readonly types: ReadonlySet<EventType> | undefined;
  private closing = false;
  /** Events dropped because the queue was full (tessera_events_dropped_total{sink="webhook"}). */
  dropped = 0;
  /** Events delivered (a 2xx answer), counting a redelivered batch again. */
  delivered = 0;
  /** POSTs that failed (network error, timeout, non-2xx answer). */
  failures = 0;
  lastError: string | undefined;

  constructor(
    private readonly opts: WebhookOptions,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly nowMs: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.types = opts.types.length > 0 ? new Set(opts.types) : undefined;
  }

  takes(type: EventType): boolean {
    return (this.types === undefined || this.types.has(type)) && takesType(this.opts, type);
  }

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
    // While a retry waits for its backoff, new events only join the queue.
    if (this.attempt > 0 || this.closing) return;
    if (this.queue.length >= this.opts.batchSize && this.timer) {
      // A full batch goes now rather than at the end of the interval its first event started.
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.schedule(this.queue.length >= this.opts.batchSize ? 0 : this.opts.flushIntervalMs);
  }

  /** The wait before attempt n+1 after n failures: full jitter over min(cap, base * 2^(n-1)), at least 100 ms. */
  backoffMs(failures: number): number {
    const ceiling = Math.min(this.opts.maxBackoffMs, BASE_BACKOFF_MS * 2 ** Math.min(failures - 1, 30));
    return Math.max(100, Math.round(ceiling * this.random()));
  }

  private schedule(ms: number): void {
    if (this.timer || this.sending) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pump();
    }, ms).unref();
  }

  /** Sends batches until the queue is empty or an attempt fails (then retries after the backoff). */
  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.closing) {
      const ok = await this.sendHead(this.opts.timeoutMs);
      if (!ok) {
        if (!this.closing) this.schedule(this.backoffMs(this.attempt));
        return;
      }
    }
  }

  /** One POST of the batch at the head of the queue; true when it was delivered (and left the queue). */
  private sendHead(timeoutMs: number): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      const batch = this.queue.slice(0, this.opts.batchSize);
      const body = JSON.stringify({ events: batch.map(eventJson) });
      const t = Math.floor(this.nowMs() / 1000);
      try {
        const res = await fetch(this.opts.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'tessera-signature': webhookSignature(this.opts.secret, t, body), 'user-agent': 'tessera-webhook' },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
        // The answer's body is not read; release the connection.
        await res.body?.cancel().catch(() => undefined);
        if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}`);
      } catch (err) {
        const e = err as { name?: string; message?: string; cause?: { code?: string } };
        this.failures++;
        this.attempt++;
        this.lastError = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message ?? 'network error');
        this.onError(new Error(`webhook delivery of ${batch.length} events failed (attempt ${this.attempt}): ${this.lastError}`));
        return false;
      }
      this.queue.splice(0, batch.length);
      this.delivered += batch.length;
      this.attempt = 0;
      this.lastError = undefined;
      return true;
    };
    const p = run().finally(() => (this.sending = undefined));
    this.sending = p;
    return p;
  }

  /**
   * Shutdown: delivers what is queued within shutdownMs (retrying with the backoff, never past the deadline),
   * then gives up; what is left is reported in the error the hub logs.
   */
  async flush(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = this.nowMs() + this.opts.shutdownMs;
    while (this.sending) await this.sending;
    while (this.queue.length > 0) {
      const left = deadline - this.nowMs();
      if (left <= 0) break;
      if (await this.sendHead(Math.min(this.opts.timeoutMs, left))) continue;
      const wait = Math.min(this.backoffMs(this.attempt), deadline - this.nowMs());
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    if (this.queue.length > 0) {
      throw new Error(`${this.queue.length} events were not delivered to the webhook before shutdown: ${this.lastError ?? 'no time left'}`);
    }
  }
}
