import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../store/types.js';
import { EventHub } from './events.js';
import { AuditStoreSink } from './audit-store-sink.js';
import { StreamSink } from './stream-sink.js';
import { eventLogSink } from './log-sink.js';

/** A node's event hub and the sinks the configuration asks for (the composition root holds them). */
export interface NodeEvents {
  readonly hub: EventHub;
  /** The audit table's sink: its `dropped` and `queued` are what the metrics read. */
  readonly audit: AuditStoreSink;
  readonly stream?: StreamSink;
}

/**
 * Builds the hub and its sinks: the durable audit table always, the log, and the JSON-lines stream when
 * `events.stream` is set. A sink that fails is logged, never the request that emitted.
 */
export function createNodeEvents(config: Config, store: Store, logger: Logger): NodeEvents {
  const onSinkError = (sink: string, err: unknown) => logger.warn({ sink, err: (err as Error).message }, 'an event sink failed');
  const hub = new EventHub(Date.now, onSinkError);
  const audit = new AuditStoreSink(store.events, config.events, (err) => onSinkError('audit-store', err));
  hub.addSink(audit);
  const stream = config.events.stream ? StreamSink.open(config.events.stream, config.events, (err) => onSinkError('stream', err)) : undefined;
  if (stream) hub.addSink(stream);
  // The log sink (log-sink.ts): one line per event at its level.
  hub.addSink(eventLogSink(logger));
  return { hub, audit, ...(stream ? { stream } : {}) };
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
