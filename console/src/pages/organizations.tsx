import { useState } from 'preact/hooks';
import { enc, get, patch, post, type Page } from '../api.js';
import { session } from '../session.js';
import { Alert, ConfirmButton, Empty, Field, Loading, Section, useForm, useLoad, when } from '../ui.js';

interface Org { id: string; name: string; status: string; created_at: string }
interface Installation { id: string; org_id: string; client_id: string; scope: string; status: string; approved_at: string | null; revoked_at: string | null }

function Installations({ org }: { org: string }) {
  const write = session()?.write ?? false;
  const list = useLoad(() => get<Page<Installation>>(`organizations/${enc(org)}/installations?limit=200`), [org]);
  const f = useForm({ client_id: '', scope: '' });
  const [warnings, setWarnings] = useState<string[]>([]);
  return (
    <Section title={`Installations in ${org}`}>
      {list.loading && <Loading what="installations" />}
      <Alert error={list.error} />
      {list.data && list.data.items.length === 0 && <Empty>No client is installed in this organization.</Empty>}
      {list.data && list.data.items.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Client</th><th scope="col">Scope</th><th scope="col">Status</th><th scope="col">Approved</th>{write && <th scope="col"><span class="sr-only">Actions</span></th>}</tr></thead>
            <tbody>
              {list.data.items.map((i) => (
                <tr>
                  <td>{i.client_id}</td><td>{i.scope || '—'}</td><td>{i.status}</td><td>{when(i.approved_at)}</td>
                  {write && <td>{i.status === 'active' && <ConfirmButton label="Revoke" title={`Revoke ${i.client_id} in ${org}?`} message="Its org tokens stop being issued and its refresh tokens stop working." confirm="Revoke installation" onConfirm={async () => { await post(`organizations/${enc(org)}/installations/${enc(i.client_id)}/revoke`); list.reload(); }} />}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {write && (
        <form onSubmit={f.submit(async (v) => {
          const r = await post<{ warnings?: string[] }>(`organizations/${enc(org)}/installations`, { client_id: v.client_id, scope: v.scope });
          setWarnings(r.warnings ?? []);
          f.reset();
          list.reload();
        })}>
          <h3>Install a client</h3>
          <Alert error={f.formError(['client_id', 'scope'])} />
          <div class="grid">
            <Field label="Client ID" required value={f.values.client_id} onInput={f.set('client_id')} error={f.fieldError('client_id')} />
            <Field label="Approved scope" hint="A subset of the client's scope; empty for none" value={f.values.scope} onInput={f.set('scope')} error={f.fieldError('scope')} />
          </div>
          {warnings.map((w) => <p class="warning" role="status">{w}</p>)}
          <button type="submit" disabled={f.busy}>Install</button>
        </form>
      )}
    </Section>
  );
}

export function Organizations() {
  const write = session()?.write ?? false;
  const list = useLoad(() => get<Page<Org>>('organizations?limit=200'), []);
  const [selected, setSelected] = useState<string | null>(null);
  const f = useForm({ id: '', name: '' });
  return (
    <>
      {write && (
        <Section title="Create an organization">
          <form onSubmit={f.submit(async (v) => {
            const o = await post<Org>('organizations', { ...(v.id ? { id: v.id } : {}), name: v.name });
            f.reset();
            list.reload();
            setSelected(o.id);
          })}>
            <Alert error={f.formError(['id', 'name'])} />
            <div class="grid">
              <Field label="ID" hint="Empty for a generated one" value={f.values.id} onInput={f.set('id')} error={f.fieldError('id')} />
              <Field label="Name" required value={f.values.name} onInput={f.set('name')} error={f.fieldError('name')} />
            </div>
            <button type="submit" class="primary" disabled={f.busy}>Create organization</button>
          </form>
        </Section>
      )}
      <Section title="Organizations">
        {list.loading && <Loading what="organizations" />}
        <Alert error={list.error} />
        {list.data && list.data.items.length === 0 && <Empty>No organizations yet.</Empty>}
        {list.data && list.data.items.length > 0 && (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">ID</th><th scope="col">Name</th><th scope="col">Status</th>{write && <th scope="col"><span class="sr-only">Actions</span></th>}</tr></thead>
              <tbody>
                {list.data.items.map((o) => (
                  <tr>
                    <td><button type="button" class="link" onClick={() => setSelected(o.id)}>{o.id}</button></td>
                    <td>{o.name}</td><td>{o.status}</td>
                    {write && <td>{o.status === 'active'
                      ? <ConfirmButton label="Disable" title={`Disable ${o.name}?`} message="No org token is issued or refreshed for it until it is enabled again." confirm="Disable" onConfirm={async () => { await patch(`organizations/${enc(o.id)}`, { status: 'disabled' }); list.reload(); }} />
                      : <button type="button" onClick={async () => { await patch(`organizations/${enc(o.id)}`, { status: 'active' }); list.reload(); }}>Enable</button>}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      {selected && <Installations key={selected} org={selected} />}
    </>
  );
}
