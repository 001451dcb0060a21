import type { Command } from 'commander';
import { EVENT_TYPES } from '../../observability/events.js';
import { eventJson, type EventJson } from '../../observability/event-json.js';
import type { EventQuery, EventStore, StoredEvent } from '../../store/types.js';
import { withAdmin } from '../admin-call.js';
import { storeOptions } from '../context.js';
import { CliError } from '../output.js';

interface EventFlags {
  type?: string;
  client?: string;
  subject?: string;
  since?: string;
  until?: string;
  limit?: string;
  follow?: boolean;
  json?: boolean;
}

const POLL_MS = 500;
/** Rows per store query (the store caps a query at 1000). */
const PAGE = 500;
/**
 * While following, each poll looks this far back before the newest event seen: events reach the table in batches
 * (events.flushIntervalMs, at most 900 ms) and from several nodes whose clocks differ a little, so an event can be
 * written after a later one. Ids already printed are skipped.
 */
const LOOKBACK_MS = 5000;
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`/`--until`: an RFC 3339 date-time or a duration ago (30s, 15m, 2h, 7d); epoch ms. */
export function parseInstant(name: string, value: string, now = Date.now()): number {
  const d = /^(\d{1,9})([smhd])$/.exec(value.trim());
  if (d) return now - Number(d[1]) * UNITS[d[2]!]!;
  const ms = /^\d{4}-\d{2}-\d{2}(T|$)/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new CliError(`${name} must be an RFC 3339 date-time (2026-01-31T12:00:00Z) or a duration ago (30s, 15m, 2h, 7d), got "${value}"`, 2);
  return ms;
}

function filterOf(f: EventFlags): { filter: EventQuery; limit: number } {
  if (f.type !== undefined && !(EVENT_TYPES as readonly string[]).includes(f.type)) throw new CliError(`--type must be one of ${EVENT_TYPES.join(', ')}`, 2);
  const limit = f.limit === undefined ? 100 : Number(f.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new CliError('--limit must be an integer from 1 to 100000', 2);
  const since = f.since !== undefined ? parseInstant('--since', f.since) : undefined;
  const until = f.until !== undefined ? parseInstant('--until', f.until) : undefined;
  if (since !== undefined && until !== undefined && until <= since) throw new CliError('--until must be later than --since', 2);
  if (f.follow && until !== undefined) throw new CliError('--follow prints events as they come; it takes no --until', 2);
  for (const [flag, v] of [['--client', f.client], ['--subject', f.subject]] as const) {
    if (v !== undefined && (v.length === 0 || v.length > 200)) throw new CliError(`${flag} must be 1 to 200 characters`, 2);
  }
  const filter: EventQuery = {
    ...(f.type !== undefined ? { type: f.type } : {}),
    ...(f.client !== undefined ? { clientId: f.client } : {}),
    ...(f.subject !== undefined ? { subject: f.subject } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
  };
  return { filter, limit };
}

const cell = (v: string | null, width: number): string => {
  const s = v ?? '-';
  return (s.length > width ? `${s.slice(0, width - 1)}…` : s).padEnd(width);
};

/** One line for people: time, type, client, subject, address, actor, then the details as key=value. */
function humanLine(e: EventJson): string {
  const details = Object.entries(e.details).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
  const actor = e.actor ? `${e.actor.kind}:${e.actor.id}` : null;
  return `${e.time}  ${cell(e.type, 22)}  ${cell(e.client_id, 20)}  ${cell(e.subject, 20)}  ${cell(e.address, 15)}  ${cell(actor, 16)}  ${details}`.trimEnd();
}

const HEADER = `${'TIME'.padEnd(24)}  ${'TYPE'.padEnd(22)}  ${'CLIENT'.padEnd(20)}  ${'SUBJECT'.padEnd(20)}  ${'ADDRESS'.padEnd(15)}  ${'ACTOR'.padEnd(16)}  DETAILS`;

/** Reads matching events page by page (oldest first), at most `limit`, from after `after`. */
async function* pages(store: EventStore, filter: EventQuery, limit: number, after?: string): AsyncGenerator<StoredEvent> {
  let left = limit;
  let cursor = after;
  while (left > 0) {
    const page = await store.query({ ...filter, limit: Math.min(PAGE, left), ...(cursor !== undefined ? { after: cursor } : {}) });
    for (const e of page) yield e;
    left -= page.length;
    if (page.length < Math.min(PAGE, left + page.length)) return;
    cursor = page.at(-1)!.id;
  }
}

/** Resolves at SIGINT/SIGTERM (the follow loop's end); the handlers are removed again. */
function interrupted(): { done: Promise<void>; stopped: () => boolean; dispose(): void } {
  let stop = false;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const on = (): void => {
    stop = true;
    resolve();
  };
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return { done, stopped: () => stop, dispose: () => (process.off('SIGINT', on), process.off('SIGTERM', on)) };
}

export function registerEventCommands(program: Command): void {
  storeOptions(
    program
      .command('events')
      .description('print the audit trail of security events, oldest first (docs/operations.md, "Audit events")')
      .option('--type <type>', `only this type (${EVENT_TYPES.join(', ')})`)
      .option('--client <id>', 'only events of this client_id')
      .option('--subject <subject>', 'only events of this subject (user, organisation)')
      .option('--since <when>', 'from this RFC 3339 time or duration ago (30s, 15m, 2h, 7d), inclusive')
      .option('--until <when>', 'before this RFC 3339 time or duration ago, exclusive')
      .option('--limit <n>', 'print at most this many (default 100; with --follow, of the backlog since --since)')
      .option('--follow', 'keep printing new events as they are written (every 500 ms) until Ctrl-C; without --since, from now on'),
  ).action(async (f: EventFlags) => {
    const { filter, limit } = filterOf(f);
    await withAdmin(f, async ({ store, json }) => {
      const write = (e: StoredEvent): void => {
        const j = eventJson(e);
        process.stdout.write(`${json ? JSON.stringify(j) : humanLine(j)}\n`);
      };
      if (!json) process.stdout.write(`${HEADER}\n`);
      if (!f.follow) {
        for await (const e of pages(store.events, filter, limit)) write(e);
        return;
      }
      await follow(store.events, filter, limit, write);
    });
  });
}

/**
 * --follow: the events since --since (at most `limit`), then every new one, polling by id.
 * Each poll re-reads the last LOOKBACK_MS before the newest event seen and skips ids already printed, so an event
 * written late (a batch, another node) is still printed once.
 */
async function follow(store: EventStore, filter: EventQuery, limit: number, write: (e: StoredEvent) => void): Promise<void> {
  const signal = interrupted();
  try {
    const seen = new Map<string, number>();
    const floor = filter.since ?? Date.now();
    let newest = floor;
    const take = (e: StoredEvent): void => {
      if (seen.has(e.id)) return;
      seen.set(e.id, e.time);
      newest = Math.max(newest, e.time);
      write(e);
    };
    // With --since, the backlog first (at most `limit`); without it, only what is written from now on.
    if (filter.since !== undefined) for await (const e of pages(store, filter, limit)) take(e);
    while (!signal.stopped()) {
      await Promise.race([new Promise((r) => setTimeout(r, POLL_MS)), signal.done]);
      if (signal.stopped()) break;
      const from = Math.max(floor, newest - LOOKBACK_MS);
      for await (const e of pages(store, { ...filter, since: from }, 100_000)) take(e);
      for (const [id, t] of seen) if (t < newest - LOOKBACK_MS) seen.delete(id);
    }
  } finally {
    signal.dispose();
  }
}
