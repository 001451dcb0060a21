import { ApiError, del, enc, get, post } from '../api.js';
import { session } from '../session.js';
import { Alert, ConfirmButton, Empty, Field, Loading, Section, useForm, useLoad, when } from '../ui.js';

interface Provider { name: string; type: string; issuer?: string; endpoint?: string; updated_at?: string; [k: string]: unknown }

const EXAMPLE = '{\n  "issuer": "https://accounts.example.com",\n  "jwks_uri": "https://accounts.example.com/jwks",\n  "audiences": ["tessera"]\n}';

export function IdentityProviders() {
  const write = session()?.write ?? false;
  const list = useLoad(() => get<{ items: Provider[] }>('identity-providers?limit=200'), []);
  const f = useForm({ name: '', type: 'oidc', settings: EXAMPLE });
  const settingsError = (): string | undefined => {
    if (!(f.error instanceof ApiError)) return undefined;
    const others = f.error.errors.filter((p) => p.path !== 'name' && p.path !== 'type' && p.path !== '');
    return others.length ? others.map((p) => `${p.path}: ${p.message}`).join('\n') : undefined;
  };
  return (
    <>
      <Section title="Identity providers">
        {list.loading && <Loading what="identity providers" />}
        <Alert error={list.error} />
        {list.data && list.data.items.length === 0 && <Empty>No identity providers: federated grants are off.</Empty>}
        {list.data && list.data.items.length > 0 && (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Issuer / endpoint</th><th scope="col">Updated</th>{write && <th scope="col"><span class="sr-only">Actions</span></th>}</tr></thead>
              <tbody>
                {list.data.items.map((p) => (
                  <tr>
                    <td>{p.name}</td><td>{p.type}</td><td>{p.issuer ?? p.endpoint ?? '—'}</td><td>{when(p.updated_at)}</td>
                    {write && <td><ConfirmButton label="Remove" title={`Remove ${p.name}?`} message="Its grants stop working; user links stay and issued tokens stay valid." confirm="Remove provider" onConfirm={async () => { await del(`identity-providers/${enc(p.name)}`); list.reload(); }} /></td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      {write && (
        <Section title="Add an identity provider">
          <form onSubmit={f.submit(async (v) => {
            let settings: unknown;
            try {
              settings = JSON.parse(v.settings || '{}');
            } catch {
              throw new ApiError(422, 'The settings are not valid JSON', [{ path: 'settings', message: 'not valid JSON' }]);
            }
            await post('identity-providers', { ...(settings as object), name: v.name, type: v.type });
            list.reload();
          })}>
            <Alert error={f.error instanceof ApiError && f.error.errors.length > 0 ? (f.error.errors.some((p) => p.path === '') ? f.error : null) : f.error} />
            <div class="grid">
              <Field label="Name" required value={f.values.name} onInput={f.set('name')} error={f.fieldError('name')} />
              <Field label="Type" options={['oidc', 'introspection', 'jwt_bearer']} value={f.values.type} onInput={f.set('type')} error={f.fieldError('type')} />
            </div>
            <Field label="Settings (JSON, the import document's fields)" multiline hint="issuer, jwks_uri or jwks, audiences, endpoint, client_id, client_secret (sealed at rest), allowed_clients…" value={f.values.settings} onInput={f.set('settings')} error={settingsError()} />
            <button type="submit" class="primary" disabled={f.busy}>Add provider</button>
          </form>
        </Section>
      )}
    </>
  );
}
