import type { StoredEvent } from '../store/types.js';
import type { SecurityEvent } from './events.js';

/** An event as it leaves the server (admin API, CLI --json, JSON-lines stream, webhook): wire names, ISO time. */
export interface EventJson {
  id: string;
  time: string;
  type: string;
  client_id: string | null;
  subject: string | null;
  address: string | null;
  request_id: string | null;
  actor: { kind: string; id: string } | null;
  details: Record<string, unknown>;
}

export function eventJson(e: SecurityEvent | StoredEvent): EventJson {
  return {
    id: e.id,
    time: new Date(e.time).toISOString(),
    type: e.type,
    client_id: e.clientId,
    subject: e.subject,
    address: e.address,
    request_id: e.requestId,
    actor: e.actor ? { kind: e.actor.kind, id: e.actor.id } : null,
    details: { ...e.details },
  };
}
