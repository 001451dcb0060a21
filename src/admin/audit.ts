import type { EventActor, EventInput } from '../observability/events.js';

/**
 * Who is making an admin change and where it is recorded: every mutating function of src/admin takes one and
 * records one `admin.change` event per change it made (after it succeeded), so the API, the CLI and the import
 * document are audited by the same code. The actor: the admin API token's client_id (and sub), the CLI's OS
 * user, or 'import' and the file.
 */
export interface AdminAudit {
  readonly events: { emit(input: EventInput): unknown };
  readonly actor: EventActor;
  /** The admin API request's source address and id (none for the CLI and the import). */
  readonly address?: string | null;
  readonly requestId?: string | null;
}

/** What was changed: never a secret (a rotated secret is recorded as `action: 'rotate_secret'`, not its value). */
export interface AdminChange {
  readonly resource: 'client' | 'user' | 'organization' | 'installation' | 'identity_provider' | 'api_key' | 'signing_key' | 'session' | 'family' | 'user_link';
  readonly action: string;
  /** The record's id (client_id, user id, org id, ...). */
  readonly id: string;
  readonly clientId?: string | null;
  readonly subject?: string | null;
  /** Names of the fields a change set or removed (never their values: a field may be a secret hash). */
  readonly fields?: readonly string[];
  readonly extra?: Readonly<Record<string, unknown>>;
}

export function recordAdminChange(audit: AdminAudit | undefined, c: AdminChange): void {
  if (!audit) return;
  audit.events.emit({
    type: 'admin.change',
    clientId: c.clientId ?? (c.resource === 'client' ? c.id : null),
    subject: c.subject ?? (c.resource === 'user' ? c.id : null),
    address: audit.address ?? null,
    requestId: audit.requestId ?? null,
    actor: audit.actor,
    details: { resource: c.resource, action: c.action, id: c.id, ...(c.fields ? { fields: [...c.fields] } : {}), ...c.extra },
  });
}

/** Emits a security event of another type on behalf of an admin change (family.revoked, installation.revoked, key.rotated). */
export function recordAdminEvent(audit: AdminAudit | undefined, input: Omit<EventInput, 'actor' | 'address' | 'requestId'>): void {
  if (!audit) return;
  audit.events.emit({ ...input, address: audit.address ?? null, requestId: audit.requestId ?? null, actor: audit.actor });
}
