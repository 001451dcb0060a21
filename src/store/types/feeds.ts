/** The change feed that per-node caches follow, and the audit trail. */

/** Topics of the change feed that per-node caches follow. */
export type ChangeTopic = 'client' | 'key' | 'user' | 'jti' | 'installation' | 'org' | 'idp' | 'api_key' | 'family';

export interface Change {
  seq: number;
  topic: ChangeTopic;
  key: string;
  at: number;
}

/**
 * An outbox of changes, written in the same transaction as the change itself. Every node (and a CLI in
 * another process) can follow it to invalidate caches; Redis pub/sub only makes it faster.
 */
export interface ChangeFeed {
  latest(): Promise<number>;
  since(seq: number, limit?: number): Promise<Change[]>;
  prune(olderThan: number): Promise<number>;
  /**
   * Calls listener after this process commits a mutation that wrote a change (used to nudge other nodes over
   * Redis pub/sub). Returns the unsubscribe function. Changes made by other processes are only seen by since().
   */
  onCommit(listener: () => void): () => void;
}

/**
 * One security event as the audit trail stores it (observability/events.ts builds them; the store only keeps
 * them). `id` sorts by time (it is the cursor); `time` is milliseconds since the epoch.
 */
export interface StoredEvent {
  id: string;
  time: number;
  type: string;
  clientId: string | null;
  subject: string | null;
  address: string | null;
  requestId: string | null;
  actor: { kind: string; id: string } | null;
  details: Record<string, unknown>;
}

export interface EventQuery {
  type?: string;
  clientId?: string;
  subject?: string;
  /** Milliseconds, inclusive. */
  since?: number;
  /** Milliseconds, exclusive. */
  until?: number;
  /** Only events with an id greater than this one (the previous page's last id, or a follower's position). */
  after?: string;
  limit?: number;
}

/** The audit trail: written in batches off the request (observability/audit-store-sink.ts), read by id order. */
export interface EventStore {
  /** Inserts a batch in one statement per few hundred rows; an id already stored is skipped (a retried batch). */
  insertMany(events: readonly StoredEvent[]): Promise<void>;
  /** Matching events in id (= time) order, oldest first, after `after`. */
  query(q: EventQuery): Promise<StoredEvent[]>;
  /** Retention: deletes the events older than `before` (ms); returns how many. */
  deleteOlderThan(before: number): Promise<number>;
}
