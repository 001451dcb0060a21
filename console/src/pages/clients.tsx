import { useState } from 'preact/hooks';
import { del, enc, get, patch, post, type Page } from '../api.js';
import { session } from '../session.js';
import { Alert, ConfirmButton, Empty, Field, Loading, OnceSecret, Section, useForm, useLoad, when, words } from '../ui.js';

export interface ClientView {
  client_id: string;
  name?: string;
  status?: string;
  grant_types?: string[];
  scope?: string;
  token_endpoint_auth_method?: string;
  rate_limit?: { points: number; duration: number };
  has_secret?: boolean;
  created_at?: string;
  secrets?: Array<{ secret_id: string; current: boolean; expires_at: string | null; last_used_at: string | null }>;
  api_keys?: string[];
}

const METHODS = ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt', 'client_secret_jwt'];

function CreateClient({ onCreated }: { onCreated: (c: ClientView, secret?: string) => void }) {
  const f = useForm({ client_id: '', name: '', grant_types: 'client_credentials', scope: '', token_endpoint_auth_method: 'client_secret_basic' });
  const shown = ['client_id', 'name', 'grant_types', 'scope', 'token_endpoint_auth_method'];
  return (
    <form onSubmit={f.submit(async (v) => {
      const body: Record<string, unknown> = { grant_types: words(v.grant_types), token_endpoint_auth_method: v.token_endpoint_auth_method };
      if (v.client_id) body.client_id = v.client_id;
      if (v.name) body.name = v.name;
      if (v.scope) body.scope = v.scope;
      const created = await post<ClientView & { client_secret?: string }>('clients', body);
      f.reset();
      onCreated(created, created.client_secret);
    })} aria-label="Create a client">
      <Alert error={f.formError(shown)} />
      <div class="grid">
        <Field label="Client ID" hint="Leave empty for a generated one" value={f.values.client_id} onInput={f.set('client_id')} error={f.fieldError('client_id')} />
        <Field label="Name" value={f.values.name} onInput={f.set('name')} error={f.fieldError('name')} />
        <Field label="Grant types" hint="Separated by spaces" value={f.values.grant_types} onInput={f.set('grant_types')} error={f.fieldError('grant_types')} />
        <Field label="Scope" hint="Space-separated scopes it may be granted" value={f.values.scope} onInput={f.set('scope')} error={f.fieldError('scope')} />
        <Field label="Authentication method" options={METHODS} value={f.values.token_endpoint_auth_method} onInput={f.set('token_endpoint_auth_method')} error={f.fieldError('token_endpoint_auth_method')} />
      </div>
      <button type="submit" class="primary" disabled={f.busy}>
        {f.busy ? 'Creating…' : 'Create client'}
      </button>
    </form>
  );
}

function ApiKeys({ clientId, write }: { clientId: string; write: boolean }) {
  const keys = useLoad(() => get<{ items: Array<{ kind: string; public_key: string }> }>(`clients/${enc(clientId)}/api-keys`), [clientId]);
  const f = useForm({ public_key: '' });
  return (
    <div>
      <h3>API keys (request signatures)</h3>
      {keys.loading && <Loading what="API keys" />}
      <Alert error={keys.error} />
      {keys.data && keys.data.items.length === 0 && <Empty>No API keys.</Empty>}
      <ul class="plain">
        {keys.data?.items.map((k) => (
          <li>
            <code>{k.kind}:{k.public_key.slice(0, 24)}…</code>{' '}
            {write && <ConfirmButton label="Remove" title="Remove this API key?" message="Requests signed with it will be refused." confirm="Remove key" onConfirm={async () => {
              await del(`clients/${enc(clientId)}/api-keys/${enc(k.public_key)}`);
              keys.reload();
            }} />}
          </li>
        ))}
      </ul>
      {write && (
        <form onSubmit={f.submit(async (v) => {
          await post(`clients/${enc(clientId)}/api-keys`, { public_key: v.public_key.trim() });
          f.reset();
          keys.reload();
        })}>
          <Alert error={f.formError(['public_key'])} />
          <Field label="Public key (64 or 66 hex)" value={f.values.public_key} onInput={f.set('public_key')} error={f.fieldError('public_key')} />
          <button type="submit" disabled={f.busy}>Add API key</button>
        </form>
      )}
    </div>
  );
}

function RateLimit({ client, write, onSaved }: { client: ClientView; write: boolean; onSaved: () => void }) {
  const f = useForm({ points: String(client.rate_limit?.points ?? ''), duration: String(client.rate_limit?.duration ?? '') });
  if (!write) return <p>Rate limit: {client.rate_limit ? `${client.rate_limit.points} requests per ${client.rate_limit.duration} s` : 'server default'}</p>;
  return (
    <form onSubmit={f.submit(async (v) => {
      const rate_limit = v.points === '' && v.duration === '' ? null : { points: Number(v.points), duration: Number(v.duration) };
      await patch(`clients/${enc(client.client_id)}`, { rate_limit });
      onSaved();
    })}>
      <h3>Rate limit</h3>
      <Alert error={f.formError(['rate_limit'])} />
      <div class="grid">
        <Field label="Requests" type="number" hint="Empty both for the server default" value={f.values.points} onInput={f.set('points')} error={f.fieldError('rate_limit.points') ?? f.fieldError('rate_limit')} />
        <Field label="Per seconds" type="number" value={f.values.duration} onInput={f.set('duration')} error={f.fieldError('rate_limit.duration')} />
      </div>
      <button type="submit" disabled={f.busy}>Save rate limit</button>
    </form>
  );
}

function ClientDetail({ id, onGone }: { id: string; onGone: () => void }) {
  const write = session()?.write ?? false;
  const c = useLoad(() => get<ClientView>(`clients/${enc(id)}`), [id]);
  const [secret, setSecret] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  if (c.loading && !c.data) return <Loading what="the client" />;
  if (!c.data) return <Alert error={c.error} />;
  const client = c.data;
  const disabled = client.status === 'disabled';
  return (
    <Section title={`Client ${client.client_id}`}>
      <dl class="facts">
        <dt>Name</dt><dd>{client.name ?? '—'}</dd>
        <dt>Status</dt><dd data-testid="client-status">{client.status ?? 'active'}</dd>
        <dt>Grant types</dt><dd>{client.grant_types?.join(' ') ?? '—'}</dd>
        <dt>Scope</dt><dd>{client.scope || '—'}</dd>
        <dt>Authentication</dt><dd>{client.token_endpoint_auth_method}</dd>
        <dt>Created</dt><dd>{when(client.created_at)}</dd>
        <dt>Secrets</dt><dd>{client.secrets?.length ? client.secrets.map((s) => `${s.secret_id}${s.current ? ' (current)' : ` (until ${when(s.expires_at)})`}`).join(', ') : 'none'}</dd>
      </dl>
      {secret && <OnceSecret label="New client secret." value={secret} testId="client-secret" />}
      {note && <p role="status">{note}</p>}
      {write && (
        <div class="actions">
          {client.has_secret && <ConfirmButton label="Rotate secret" testId="rotate-secret" title="Rotate the secret?" message="A new secret is generated; the current one stops working at once." confirm="Rotate" onConfirm={async () => {
            const r = await post<{ client_secret: string }>(`clients/${enc(id)}/secret`);
            setSecret(r.client_secret);
            c.reload();
          }} />}
          {disabled ? (
            <button type="button" onClick={async () => { await patch(`clients/${enc(id)}`, { status: 'active' }); c.reload(); }}>Enable</button>
          ) : (
            <ConfirmButton label="Disable" testId="disable-client" title="Disable this client?" message="It gets no more tokens, and its issued tokens stop being accepted." confirm="Disable" onConfirm={async () => { await patch(`clients/${enc(id)}`, { status: 'disabled' }); c.reload(); }} />
          )}
          <ConfirmButton label="Revoke sessions" title="Revoke every session of this client?" message="Every refresh token of every user of this client stops working." confirm="Revoke sessions" onConfirm={async () => {
            const r = await post<{ revoked_refresh_token_families: number }>(`clients/${enc(id)}/revoke-sessions`);
            setNote(`${r.revoked_refresh_token_families} session(s) revoked.`);
          }} />
          <ConfirmButton label="Delete" title={`Delete ${id}?`} message="The client and its refresh tokens are deleted. This cannot be undone." confirm="Delete client" onConfirm={async () => { await del(`clients/${enc(id)}`); onGone(); }} />
        </div>
      )}
      <RateLimit client={client} write={write} onSaved={c.reload} />
      <ApiKeys clientId={id} write={write} />
    </Section>
  );
}

export function Clients() {
  const write = session()?.write ?? false;
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const [created, setCreated] = useState<{ id: string; secret?: string } | null>(null);
  // The server searches (q: client_id or name contains it), so every client can be found, not only a first page.
  const list = useLoad(() => get<Page<ClientView>>(`clients?limit=200${search.trim() ? `&q=${encodeURIComponent(search.trim())}` : ''}`), [search]);
  const shown = list.data?.items ?? [];
  return (
    <>
      {write && (
        <Section title="Create a client">
          <CreateClient onCreated={(c, secret) => {
            setCreated({ id: c.client_id, ...(secret ? { secret } : {}) });
            list.reload();
          }} />
          {created && <p role="status">Created <strong data-testid="created-client-id">{created.id}</strong>.</p>}
          {created?.secret && <OnceSecret label="Client secret." value={created.secret} testId="client-secret" />}
        </Section>
      )}
      <Section title="Clients">
        <Field label="Search by id or name" type="search" value={search} onInput={setSearch} />
        {list.loading && <Loading what="clients" />}
        <Alert error={list.error} />
        {list.data && shown.length === 0 && <Empty>{search ? 'No client matches.' : 'No clients yet.'}</Empty>}
        {shown.length > 0 && (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Client</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Grant types</th></tr></thead>
              <tbody>
                {shown.map((c) => (
                  <tr>
                    <td><button type="button" class="link" onClick={() => setSelected(c.client_id)}>{c.client_id}</button></td>
                    <td>{c.name ?? ''}</td>
                    <td>{c.status}</td>
                    <td>{c.grant_types?.join(' ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.data?.next && <p class="muted">Showing the first 200 matching clients; search narrows them.</p>}
      </Section>
      {selected && <ClientDetail key={selected} id={selected} onGone={() => { setSelected(null); list.reload(); }} />}
    </>
  );
}
