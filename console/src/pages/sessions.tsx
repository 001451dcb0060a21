import { useState } from 'preact/hooks';
import { del, enc, get, type Page } from '../api.js';
import { session } from '../session.js';
import { Alert, ConfirmButton, Empty, Field, Loading, Section, when } from '../ui.js';
import { useLoad } from '../ui.js';

interface Family {
  family_id: string;
  client_id: string;
  subject: string;
  scope: string;
  status: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string;
}

/** The refresh-token families (sign-ins) of a user or a client, each revocable. */
export function Families({ owner }: { owner: { kind: 'users' | 'clients'; id: string } }) {
  const write = session()?.write ?? false;
  const list = useLoad(() => get<Page<Family>>(`${owner.kind}/${enc(owner.id)}/families?limit=200`), [owner.kind, owner.id]);
  return (
    <div>
      <h3>Sessions (refresh-token families)</h3>
      {list.loading && <Loading what="sessions" />}
      <Alert error={list.error} />
      {list.data && list.data.items.length === 0 && <Empty>No sessions.</Empty>}
      {list.data && list.data.items.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Family</th><th scope="col">{owner.kind === 'users' ? 'Client' : 'Subject'}</th><th scope="col">Status</th><th scope="col">Last used</th><th scope="col">Expires</th>{write && <th scope="col"><span class="sr-only">Actions</span></th>}</tr></thead>
            <tbody>
              {list.data.items.map((f) => (
                <tr data-testid="family-row">
                  <td><code>{f.family_id.slice(0, 12)}</code></td>
                  <td>{owner.kind === 'users' ? f.client_id : f.subject}</td>
                  <td>{f.status}</td>
                  <td>{when(f.last_used_at)}</td>
                  <td>{when(f.expires_at)}</td>
                  {write && <td>{f.status === 'active' && <ConfirmButton label="Revoke" title="Revoke this session?" message="Its refresh tokens stop working at once and its access tokens are refused." confirm="Revoke session" onConfirm={async () => { await del(`families/${enc(f.family_id)}`); list.reload(); }} />}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function Sessions() {
  const [kind, setKind] = useState<'users' | 'clients'>('users');
  const [id, setId] = useState('');
  const [owner, setOwner] = useState<{ kind: 'users' | 'clients'; id: string } | null>(null);
  return (
    <Section title="Sessions">
      <form class="grid" role="search" onSubmit={(e) => { e.preventDefault(); if (id.trim()) setOwner({ kind, id: id.trim() }); }}>
        <Field label="Of a" options={['users', 'clients']} value={kind} onInput={(v) => setKind(v as 'users' | 'clients')} />
        <Field label={kind === 'users' ? 'User ID' : 'Client ID'} value={id} onInput={setId} hint={kind === 'users' ? 'The id shown on the Users page' : undefined} />
        <div class="field"><button type="submit">Show sessions</button></div>
      </form>
      {owner ? <Families key={`${owner.kind}/${owner.id}`} owner={owner} /> : <Empty>Choose a user or a client to see its sessions.</Empty>}
    </Section>
  );
}
