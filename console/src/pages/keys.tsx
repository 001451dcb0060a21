import { useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { session } from '../session.js';
import { Alert, ConfirmButton, Empty, Field, Loading, Section, useLoad, when } from '../ui.js';

interface Key { kid: string; alg: string; status: string; created_at: string; published_until?: string }

export function Keys() {
  const write = session()?.write ?? false;
  const list = useLoad(() => get<{ items: Key[] }>('keys'), []);
  const [alg, setAlg] = useState('');
  return (
    <Section title="Signing keys" actions={write ? (
      <div class="inline">
        <Field label="Algorithm" options={['', 'ES256', 'EdDSA', 'RS256']} value={alg} onInput={setAlg} hint="Empty: the configured one" />
        <ConfirmButton label="Rotate key" testId="rotate-key" title="Rotate the signing key?" message="A new key signs from now on; the current key is retired and stays in the JWKS until every token it signed has expired." confirm="Rotate" onConfirm={async () => { await post('keys/rotate', alg ? { alg } : undefined); list.reload(); }} />
      </div>
    ) : undefined}>
      {list.loading && <Loading what="keys" />}
      <Alert error={list.error} />
      {list.data && list.data.items.length === 0 && <Empty>No signing keys.</Empty>}
      {list.data && list.data.items.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Key ID</th><th scope="col">Algorithm</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Published until</th></tr></thead>
            <tbody>
              {list.data.items.map((k) => (
                <tr>
                  <td><code>{k.kid}</code></td><td>{k.alg}</td><td>{k.status}</td><td>{when(k.created_at)}</td>
                  <td>{k.status === 'retired' ? when(k.published_until) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
