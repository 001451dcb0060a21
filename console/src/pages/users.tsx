import { useState } from 'preact/hooks';
import { enc, get, patch, post, type Page } from '../api.js';
import { session } from '../session.js';
import { Alert, ConfirmButton, Empty, Field, Loading, OnceSecret, Section, useForm, useLoad, when } from '../ui.js';
import { Families } from './sessions.js';

interface UserView {
  id: string;
  username: string;
  status: string;
  scope: string | null;
  email?: string | null;
  created_at?: string;
}

function CreateUser({ onCreated }: { onCreated: (u: UserView, password?: string) => void }) {
  const f = useForm({ username: '', password: '', scope: '', email: '' });
  return (
    <form aria-label="Create a user" onSubmit={f.submit(async (v) => {
      const body: Record<string, unknown> = { username: v.username };
      if (v.password) body.password = v.password;
      if (v.scope) body.scope = v.scope;
      if (v.email) body.email = v.email;
      const u = await post<UserView & { password?: string }>('users', body);
      f.reset();
      onCreated(u, u.password);
    })}>
      <Alert error={f.formError(['username', 'password', 'scope', 'email'])} />
      <div class="grid">
        <Field label="Username" required value={f.values.username} onInput={f.set('username')} error={f.fieldError('username')} />
        <Field label="Password" type="password" autoComplete="new-password" hint="Empty for a generated one, shown once" value={f.values.password} onInput={f.set('password')} error={f.fieldError('password')} />
        <Field label="Scope" hint="tessera:admin makes an operator; tessera:admin:read a read-only one" value={f.values.scope} onInput={f.set('scope')} error={f.fieldError('scope')} />
        <Field label="Email" type="email" value={f.values.email} onInput={f.set('email')} error={f.fieldError('email')} />
      </div>
      <button type="submit" class="primary" disabled={f.busy}>Create user</button>
    </form>
  );
}

function SetPassword({ id, onDone }: { id: string; onDone: (generated?: string) => void }) {
  const f = useForm({ password: '' });
  return (
    <form onSubmit={f.submit(async (v) => {
      const r = await post<{ password?: string }>(`users/${enc(id)}/password`, v.password ? { password: v.password } : {});
      f.reset();
      onDone(r.password);
    })}>
      <h3>Set the password</h3>
      <Alert error={f.formError(['password'])} />
      <Field label="New password" type="password" autoComplete="new-password" hint="Empty for a generated one. Signs the user out everywhere." value={f.values.password} onInput={f.set('password')} error={f.fieldError('password')} />
      <button type="submit" disabled={f.busy}>Set password</button>
    </form>
  );
}

function UserDetail({ id }: { id: string }) {
  const write = session()?.write ?? false;
  const u = useLoad(() => get<UserView>(`users/${enc(id)}`), [id]);
  const [note, setNote] = useState<string | null>(null);
  const [password, setPassword] = useState<string | null>(null);
  const [families, setFamilies] = useState(0);
  if (u.loading && !u.data) return <Loading what="the user" />;
  if (!u.data) return <Alert error={u.error} />;
  const user = u.data;
  return (
    <Section title={`User ${user.username}`}>
      <dl class="facts">
        <dt>ID</dt><dd><code>{user.id}</code></dd>
        <dt>Status</dt><dd data-testid="user-status">{user.status}</dd>
        <dt>Scope</dt><dd>{user.scope ?? '(no user-level restriction)'}</dd>
        <dt>Email</dt><dd>{user.email ?? '—'}</dd>
        <dt>Created</dt><dd>{when(user.created_at)}</dd>
      </dl>
      {note && <p role="status" data-testid="user-note">{note}</p>}
      {password && <OnceSecret label="New password." value={password} testId="user-password" />}
      {write && (
        <div class="actions">
          <ConfirmButton label="Revoke sessions" testId="revoke-sessions" title={`Sign ${user.username} out everywhere?`} message="Every refresh-token family of this user is revoked; access tokens already issued live out their lifetime." confirm="Revoke sessions" onConfirm={async () => {
            const r = await post<{ revoked_refresh_token_families: number }>(`users/${enc(id)}/revoke-sessions`);
            setNote(`${r.revoked_refresh_token_families} session(s) revoked.`);
            setFamilies((n) => n + 1);
          }} />
          {user.status === 'disabled' ? (
            <button type="button" onClick={async () => { await patch(`users/${enc(id)}`, { status: 'active' }); u.reload(); }}>Enable</button>
          ) : (
            <ConfirmButton label="Disable" title={`Disable ${user.username}?`} message="The user cannot sign in and is signed out everywhere." confirm="Disable user" onConfirm={async () => { await patch(`users/${enc(id)}`, { status: 'disabled' }); u.reload(); }} />
          )}
        </div>
      )}
      {write && <SetPassword id={id} onDone={(p) => { setNote('Password set; the user was signed out everywhere.'); if (p) setPassword(p); setFamilies((n) => n + 1); }} />}
      <Families key={families} owner={{ kind: 'users', id }} />
    </Section>
  );
}

export function Users() {
  const write = session()?.write ?? false;
  const [filter, setFilter] = useState({ username: '', email: '', status: '' });
  const [applied, setApplied] = useState(filter);
  const [selected, setSelected] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const query = new URLSearchParams(Object.entries(applied).filter(([, v]) => v !== '')).toString();
  const list = useLoad(() => get<Page<UserView>>(`users?limit=100${query ? '&' + query : ''}`), [query]);
  return (
    <>
      {write && (
        <Section title="Create a user">
          <CreateUser onCreated={(u, p) => { setCreated(p ?? null); setSelected(u.id); list.reload(); }} />
          {created && <OnceSecret label="Generated password." value={created} testId="created-password" />}
        </Section>
      )}
      <Section title="Users">
        <form class="grid" role="search" onSubmit={(e) => { e.preventDefault(); setApplied(filter); }}>
          <Field label="Username (exact)" value={filter.username} onInput={(v) => setFilter({ ...filter, username: v })} />
          <Field label="Email (exact)" value={filter.email} onInput={(v) => setFilter({ ...filter, email: v })} />
          <Field label="Status" options={['', 'active', 'disabled']} value={filter.status} onInput={(v) => setFilter({ ...filter, status: v })} />
          <div class="field"><button type="submit">Search</button></div>
        </form>
        {list.loading && <Loading what="users" />}
        <Alert error={list.error} />
        {list.data && list.data.items.length === 0 && <Empty>No user matches.</Empty>}
        {list.data && list.data.items.length > 0 && (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Username</th><th scope="col">Status</th><th scope="col">Scope</th></tr></thead>
              <tbody>
                {list.data.items.map((u) => (
                  <tr>
                    <td><button type="button" class="link" onClick={() => setSelected(u.id)}>{u.username}</button></td>
                    <td>{u.status}</td>
                    <td>{u.scope ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      {selected && <UserDetail key={selected} id={selected} />}
    </>
  );
}
