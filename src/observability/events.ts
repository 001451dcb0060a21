import { randomBytes } from 'node:crypto';

/**
 * Security-relevant events (DESIGN.md "Operating it"): every one goes through this hub once, and the hub fans
 * it out to its sinks: the audit table, the log, the metrics, the JSON-lines stream and the webhook. A site
 * that detects something (a failed client authentication, a reused refresh token, an admin change) calls
 * `events.emit(...)` and knows nothing of where it goes.
 *
 * Emitting is synchronous and cheap (one object, one id, a loop over a handful of sinks); a sink that does I/O
 * queues the event and writes in batches off the request. A sink that throws is logged by the hub's owner
 * through `onSinkError` and never breaks the request that emitted.
 */
export const EVENT_TYPES = [
  'client.auth_failed',
  'login.failed',
  'login.throttled',
  'refresh.reuse_detected',
  'token.issued',
  'token.revoked',
  'family.revoked',
  'installation.revoked',
  'key.rotated',
  'key.retired',
  'idp.unavailable',
  'idp.recovered',
  'rate_limit.rejected',
  'admin.change',
  'delegation.granted',
  'delegation.refused',
  'token_hook.failed',
  'client_certificate.untrusted_header',
  'client_certificate.binding_mismatch',
  'dpop.proof_rejected',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Who made an admin change: an admin API token's client (and subject), the CLI's OS user, or the import. */
export interface EventActor {
  readonly kind: 'admin_api' | 'cli' | 'import' | 'system';
  /** admin_api: the token's client_id (and `sub` when a user's token); cli: the OS user name; import: the file. */
  readonly id: string;
}

/** What a site passes to emit(): never a secret, a password or a token (hash prefixes at most). */
export interface EventInput {
  readonly type: EventType;
  readonly clientId?: string | null;
  readonly subject?: string | null;
  /** The client's address as the trusted-proxy rules resolved it. */
  readonly address?: string | null;
  readonly requestId?: string | null;
  readonly actor?: EventActor | null;
  /** Small, flat, JSON-serialisable facts (grant_type, method, reason, family_id, resource and action). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface SecurityEvent {
  /** Time-ordered and unique across nodes: 12 hex digits of milliseconds, then 10 random hex digits. */
  readonly id: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly type: EventType;
  readonly clientId: string | null;
  readonly subject: string | null;
  readonly address: string | null;
  readonly requestId: string | null;
  readonly actor: EventActor | null;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface EventSink {
  readonly name: string;
  /** Called synchronously for each event; must not block (queue, then write later). */
  accept(event: SecurityEvent): void;
  /** Whether this sink takes events of `type` at all (default: every type); decided once per type, not per event. */
  takes?(type: EventType): boolean;
  /** Flushes what is queued (shutdown); the hub awaits every sink's flush. */
  flush?(): Promise<void>;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/** A time-ordered id (sorts by time as a string; the random part keeps two nodes' ids apart). */
export function eventId(timeMs: number): string {
  return timeMs.toString(16).padStart(12, '0') + randomBytes(5).toString('hex');
}

export class EventHub {
  private sinks: EventSink[] = [];
  /** Per type: does any sink take it? Rebuilt when the sinks change, so a hot-path site asks in one lookup. */
  private wanted = new Map<EventType, boolean>();

  constructor(
    private readonly nowMs: () => number = Date.now,
    private readonly onSinkError: (sink: string, err: unknown) => void = () => {},
  ) {}

  addSink(sink: EventSink): void {
    this.sinks.push(sink);
    this.wanted.clear();
  }

  removeSink(sink: EventSink): void {
    this.sinks = this.sinks.filter((s) => s !== sink);
    this.wanted.clear();
  }

  /**
   * Whether emitting `type` would reach any sink: a hot-path site (token.issued) asks first and builds no event
   * when none would take it.
   */
  wants(type: EventType): boolean {
    let w = this.wanted.get(type);
    if (w === undefined) {
      w = this.sinks.some((s) => s.takes?.(type) ?? true);
      this.wanted.set(type, w);
    }
    return w;
  }

  emit(input: EventInput): SecurityEvent {
    const time = this.nowMs();
    const event: SecurityEvent = {
      id: eventId(time),
      time,
      type: input.type,
      clientId: input.clientId ?? null,
      subject: input.subject ?? null,
      address: input.address ?? null,
      requestId: input.requestId ?? null,
      actor: input.actor ?? null,
      details: input.details ?? EMPTY,
    };
    for (const sink of this.sinks) {
      if (sink.takes !== undefined && !sink.takes(event.type)) continue;
      try {
        sink.accept(event);
      } catch (err) {
        this.onSinkError(sink.name, err);
      }
    }
    return event;
  }

  async flush(): Promise<void> {
    await Promise.all(this.sinks.map(async (s) => {
      try {
        await s.flush?.();
      } catch (err) {
        this.onSinkError(s.name, err);
      }
    }));
  }
}
