import { useEffect, useRef, useState } from 'preact/hooks';
import { get, type Page } from '../api.js';
import { Alert, Empty, Field, Loading, Section, when } from '../ui.js';

interface AuditEvent { id: string; time: string; type: string; client_id: string | null; subject: string | null; address: string | null; actor: { kind: string; id: string } | null; details: Record<string, unknown> }

const TYPES = ['', 'admin.change', 'client.auth_failed', 'login.failed', 'login.throttled', 'refresh.reuse_detected', 'token.issued', 'token.revoked', 'family.revoked', 'installation.revoked', 'key.rotated', 'key.retired', 'idp.unavailable', 'idp.recovered'];
const TAIL_MS = 2000;
const SHOWN = 500;
const cursorOf = (id: string): string => btoa(unescape(encodeURIComponent(id))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/**
 * The audit trail, newest first. The API pages oldest first: the console reads from `since` (default: the last
 * hour) to the end, then, with live tail on, polls every 2 s from the last id it has.
 */
export function Events() {
  const [filter, setFilter] = useState({ type: '', client_id: '', subject: '', since: '' });
  const [applied, setApplied] = useState(filter);
  const [tail, setTail] = useState(true);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | null>(null);
  const last = useRef<string | null>(null);

  const params = (): URLSearchParams => {
    const p = new URLSearchParams({ limit: '200' });
    if (applied.type) p.set('type', applied.type);
    if (applied.client_id) p.set('client_id', applied.client_id);
    if (applied.subject) p.set('subject', applied.subject);
    p.set('since', applied.since ? new Date(applied.since).toISOString() : new Date(Date.now() - 3600_000).toISOString());
    return p;
  };

  const readOn = async (): Promise<void> => {
    const found: AuditEvent[] = [];
    for (let i = 0; i < 20; i++) {
      const p = params();
      if (last.current) p.set('cursor', cursorOf(last.current));
      const page = await get<Page<AuditEvent>>(`events?${p.toString()}`);
      found.push(...page.items);
      if (page.items.length) last.current = page.items.at(-1)!.id;
      if (!page.next) break;
    }
    if (found.length) setEvents((old) => [...found.reverse(), ...old].slice(0, SHOWN));
  };

  useEffect(() => {
    let live = true;
    last.current = null;
    setEvents([]);
    setLoading(true);
    setError(null);
    readOn().then(() => live && setLoading(false), (err: Error) => live && (setError(err), setLoading(false)));
    return () => {
      live = false;
    };
  }, [applied]);

  useEffect(() => {
    if (!tail || loading) return;
    const t = setInterval(() => readOn().then(() => setError(null), (err: Error) => setError(err)), TAIL_MS);
    return () => clearInterval(t);
  }, [tail, loading, applied]);

  return (
    <Section title="Events">
      <form class="grid" role="search" onSubmit={(e) => { e.preventDefault(); setApplied(filter); }}>
        <Field label="Type" options={TYPES} value={filter.type} onInput={(v) => setFilter({ ...filter, type: v })} />
        <Field label="Client ID" value={filter.client_id} onInput={(v) => setFilter({ ...filter, client_id: v })} />
        <Field label="Subject" value={filter.subject} onInput={(v) => setFilter({ ...filter, subject: v })} />
        <Field label="Since" type="datetime-local" hint="Empty: the last hour" value={filter.since} onInput={(v) => setFilter({ ...filter, since: v })} />
        <div class="field"><button type="submit">Apply filters</button></div>
      </form>
      <label class="check">
        <input type="checkbox" checked={tail} onChange={(e) => setTail((e.target as HTMLInputElement).checked)} /> Live tail (every 2 s)
      </label>
      <Alert error={error} />
      {loading && <Loading what="events" />}
      {!loading && events.length === 0 && <Empty>No events match.</Empty>}
      {events.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Time</th><th scope="col">Type</th><th scope="col">Client</th><th scope="col">Subject</th><th scope="col">Actor</th><th scope="col">Details</th></tr></thead>
            <tbody>
              {events.map((e) => (
                <tr data-testid="event-row" data-type={e.type}>
                  <td>{when(e.time)}</td><td>{e.type}</td><td>{e.client_id ?? '—'}</td><td>{e.subject ?? '—'}</td>
                  <td>{e.actor ? `${e.actor.kind}:${e.actor.id}` : '—'}</td>
                  <td><code class="details">{JSON.stringify(e.details)}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
