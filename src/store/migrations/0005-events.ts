import type { Kysely } from 'kysely';
import type { Dialect } from '../sql/dialect.js';

/**
 * The audit trail of security events (observability/events.ts). The id is the hub's time-ordered id, so it is
 * both the primary key and the cursor of a listing; time is milliseconds since the epoch. The actor is two
 * columns (kind, id) so "everything one admin did" is a plain filter; details are JSON text, as elsewhere.
 * The indexes serve the admin query's filters (each with a time range) and the retention delete.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text')
    .addColumn('subject', 'text')
    .addColumn('address', 'text')
    .addColumn('request_id', 'text')
    .addColumn('actor_kind', 'text')
    .addColumn('actor_id', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_time').on('events').column('time').execute();
  await db.schema.createIndex('events_type_time').on('events').columns(['type', 'time']).execute();
  await db.schema.createIndex('events_client_time').on('events').columns(['client_id', 'time']).execute();
  await db.schema.createIndex('events_subject_time').on('events').columns(['subject', 'time']).execute();
}
