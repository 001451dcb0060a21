import type { Logger } from 'pino';
import { ConfigError, type Config } from '../config.js';
import type { Store } from '../store/types.js';
import { EVENT_TYPES, EventHub, type EventType } from './events.js';
import { AuditStoreSink } from './audit-store-sink.js';
import { StreamSink } from './stream-sink.js';
import { eventLogSink } from './log-sink.js';
import { WebhookSink } from './webhook-sink.js';

/** A node's event hub and the sinks the configuration asks for (the composition root holds them). */
export interface NodeEvents {
  readonly hub: EventHub;
  /** The audit table's sink: its `dropped` and `queued` are what the metrics read. */
  readonly audit: AuditStoreSink;
  readonly stream?: StreamSink;
  /** events.webhook, when its url is set: its dropped, queued, delivered and failures are for the metrics. */
  readonly webhook?: WebhookSink;
}

/** The webhook's type filter, checked against the hub's list (config.ts cannot import it: no cycle). */
function webhookTypes(types: readonly string[]): EventType[] {
  const unknown = types.find((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (unknown !== undefined) throw new ConfigError(`invalid setting events.webhook.types: "${unknown}" is not an event type (${EVENT_TYPES.join(', ')})`);
  return types as EventType[];
}

/**
 * Builds the hub and its sinks: the durable audit table always, the log, the JSON-lines stream when
 * `events.stream` is set and the signed webhook when `events.webhook.url` is. A sink that fails is logged, never the request that emitted.
 */
export function createNodeEvents(config: Config, store: Store, logger: Logger): NodeEvents {
  const onSinkError = (sink: string, err: unknown) => logger.warn({ sink, err: (err as Error).message }, 'an event sink failed');
  const hub = new EventHub(Date.now, onSinkError);
  const audit = new AuditStoreSink(store.events, config.events, (err) => onSinkError('audit-store', err));
  hub.addSink(audit);
  const stream = config.events.stream ? StreamSink.open(config.events.stream, config.events, (err) => onSinkError('stream', err)) : undefined;
  if (stream) hub.addSink(stream);
  const { webhook: w } = config.events;
  let webhook: WebhookSink | undefined;
  if (w.url !== undefined && w.secret !== undefined) {
    const opts = { ...w, url: w.url, secret: w.secret, types: webhookTypes(w.types), issued: config.events.issued, issuedSampleRate: config.events.issuedSampleRate, flushIntervalMs: config.events.flushIntervalMs };
    // A failed delivery is a warning with the reason; the URL's query and the secret stay out of the log.
    webhook = new WebhookSink(opts, (err) => onSinkError('webhook', err));
    hub.addSink(webhook);
  }
  // The log sink (log-sink.ts): one line per event at its level.
  hub.addSink(eventLogSink(logger));
  return { hub, audit, ...(stream ? { stream } : {}), ...(webhook ? { webhook } : {}) };
}

/**
 * For a process that changes the store without serving (the CLI, a cluster primary applying --import): its
 * events go straight to the audit table, flushed before it exits.
 */
export function createDirectEvents(store: Store, config: Pick<Config, 'events'>): { hub: EventHub; flush(): Promise<void> } {
  const hub = new EventHub();
  hub.addSink(new AuditStoreSink(store.events, { ...config.events, flushIntervalMs: 10 }));
  return { hub, flush: () => hub.flush() };
}
