import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { OAuthContext } from '../../oauth/context.js';
import { EVENT_TYPES } from '../../observability/events.js';
import { eventJson } from '../../observability/event-json.js';
import type { EventQuery } from '../../store/types.js';
import { AdminHttpError } from './problem.js';
import { cursorAfter, pageOf } from './request.js';
import { problems, SECURITY } from './schemas.js';

const doc = (summary: string, extra: Record<string, unknown>) => ({ schema: { tags: ['admin'], summary, security: SECURITY, ...extra } });

export const EventView = Type.Object(
  {
    id: Type.String({ description: 'time-ordered, unique across nodes' }),
    time: Type.String({ format: 'date-time' }),
    type: Type.Union(EVENT_TYPES.map((t) => Type.Literal(t))),
    client_id: Type.Union([Type.String(), Type.Null()]),
    subject: Type.Union([Type.String(), Type.Null()]),
    address: Type.Union([Type.String(), Type.Null()]),
    request_id: Type.Union([Type.String(), Type.Null()]),
    actor: Type.Union([Type.Object({ kind: Type.String(), id: Type.String() }), Type.Null()]),
    details: Type.Record(Type.String(), Type.Unknown()),
  },
  { description: 'A security event (docs/operations.md, "Audit events"); never a secret or a token' },
);

const EventQuerySchema = Type.Object({
  type: Type.Optional(Type.String({ description: `one of ${EVENT_TYPES.join(', ')}` })),
  client_id: Type.Optional(Type.String()),
  subject: Type.Optional(Type.String()),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'inclusive (RFC 3339)' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'exclusive (RFC 3339)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ description: 'opaque; the `next` of the previous page' })),
});

const EventList = Type.Object({ items: Type.Array(EventView), next: Type.Union([Type.String(), Type.Null()], { description: 'the cursor of the next page (also while following: poll with it)' }) });

/** An RFC 3339 date-time as epoch milliseconds; anything else is the caller's 400. */
function instant(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new AdminHttpError(400, `${name} must be an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z`);
  return ms;
}

/** A filter of one value: a string of 1-200 characters, or the caller's 400. */
function text(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) throw new AdminHttpError(400, `${name} must be a string of 1 to 200 characters`);
  return value;
}

/**
 * The audit trail (observability/audit-store-sink.ts writes it), oldest first, by id: the `next` cursor of the
 * last page is where a follower polls from (`tessera events --follow`). Read-only, so tessera:admin:read suffices.
 */
export function eventRoutes(app: FastifyInstance, ctx: OAuthContext, prefix: string): void {
  app.get('/events', doc('List security events, oldest first (filter by type, client_id, subject, time; cursor pagination)', { querystring: EventQuerySchema, response: { 200: EventList, ...problems(400) } }), async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const { limit, after } = pageOf(request);
    const type = text('type', q.type);
    if (type !== undefined && !(EVENT_TYPES as readonly string[]).includes(type)) throw new AdminHttpError(400, `type must be one of ${EVENT_TYPES.join(', ')}`);
    const since = instant('since', q.since);
    const until = instant('until', q.until);
    if (since !== undefined && until !== undefined && until <= since) throw new AdminHttpError(400, 'until must be later than since');
    const filter: EventQuery = {
      ...(type !== undefined ? { type } : {}),
      ...(text('client_id', q.client_id) !== undefined ? { clientId: q.client_id as string } : {}),
      ...(text('subject', q.subject) !== undefined ? { subject: q.subject as string } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
    };
    const page = await ctx.store.events.query({ ...filter, limit: limit + 1, ...(after !== undefined ? { after } : {}) });
    const items = page.slice(0, limit);
    const next = page.length > limit ? cursorAfter(items.at(-1)!.id) : null;
    if (next !== null) {
      const params = new URLSearchParams(Object.entries(q).filter(([k, v]) => k !== 'cursor' && k !== 'limit' && typeof v === 'string') as [string, string][]);
      params.set('limit', String(limit));
      params.set('cursor', next);
      reply.header('link', `<${prefix}/events?${params.toString()}>; rel="next"`);
    }
    return { items: items.map(eventJson), next };
  });
}
