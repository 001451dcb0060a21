import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { decodeJwtPart, oauthUrl } from '../session.js';
import { Alert, Field, Section, useForm } from '../ui.js';

interface Jwk extends JsonWebKey { kid?: string; alg?: string }

/** The algorithms Tessera signs with, as WebCrypto names them. */
const ALGS: Record<string, { import: RsaHashedImportParams | EcKeyImportParams | Algorithm; verify: Algorithm | EcdsaParams }> = {
  ES256: { import: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' } },
  RS256: { import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verify: { name: 'RSASSA-PKCS1-v1_5' } },
  EdDSA: { import: { name: 'Ed25519' }, verify: { name: 'Ed25519' } },
};

const b64url = (s: string): Uint8Array<ArrayBuffer> => {
  const b = s.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(b + '='.repeat((4 - (b.length % 4)) % 4)), (c) => c.charCodeAt(0));
};

/** The signature against the server's JWKS, checked here with WebCrypto (the server is not asked). */
async function verify(token: string, header: Record<string, unknown>): Promise<string> {
  const alg = typeof header.alg === 'string' ? header.alg : '';
  const spec = ALGS[alg];
  if (!spec) return `not checked: algorithm ${alg || '(none)'} is not one Tessera signs with`;
  const res = await fetch(oauthUrl('/.well-known/jwks.json'), { credentials: 'omit' });
  if (!res.ok) return `not checked: the JWKS answered ${res.status}`;
  const { keys } = (await res.json()) as { keys: Jwk[] };
  const jwk = keys.find((k) => k.kid === header.kid);
  if (!jwk) return `fails: no key ${String(header.kid)} in the JWKS (unknown, or retired and past its publication)`;
  const [h, p, s] = token.split('.');
  try {
    const key = await crypto.subtle.importKey('jwk', jwk, spec.import, false, ['verify']);
    const ok = await crypto.subtle.verify(spec.verify, key, b64url(s!), new TextEncoder().encode(`${h}.${p}`));
    return ok ? `valid (key ${jwk.kid}, ${alg})` : `fails: the signature does not match key ${jwk.kid}`;
  } catch (err) {
    return `not checked: this browser cannot verify ${alg} (${(err as Error).message})`;
  }
}

interface Result { header: Record<string, unknown> | null; claims: Record<string, unknown> | null; signature: string; introspection: unknown }

export function Inspector() {
  const f = useForm({ token: '' });
  const [result, setResult] = useState<Result | null>(null);
  return (
    <>
      <Section title="Token inspector">
        <p class="muted">The token is decoded and its signature checked in this browser; it is sent only to this server's admin introspection.</p>
        <form onSubmit={f.submit(async (v) => {
          const token = v.token.trim();
          const parts = token.split('.');
          const header = parts.length === 3 ? decodeJwtPart(parts[0]!) : null;
          const claims = parts.length === 3 ? decodeJwtPart(parts[1]!) : null;
          const [signature, introspection] = await Promise.all([
            header ? verify(token, header).catch((err: Error) => `not checked: ${err.message}`) : Promise.resolve('not a JWT (an opaque token): only introspection can tell'),
            post<unknown>('introspect', { token }),
          ]);
          setResult({ header, claims, signature, introspection });
        })}>
          <Alert error={f.formError(['token'])} />
          <Field label="Token" multiline value={f.values.token} onInput={f.set('token')} error={f.fieldError('token')} />
          <button type="submit" class="primary" disabled={f.busy || !f.values.token.trim()}>Inspect</button>
        </form>
      </Section>
      {result && (
        <div class="charts">
          <Section title="Header"><pre data-testid="jwt-header">{result.header ? JSON.stringify(result.header, null, 2) : '—'}</pre></Section>
          <Section title="Claims"><pre data-testid="jwt-claims">{result.claims ? JSON.stringify(result.claims, null, 2) : '—'}</pre></Section>
          <Section title="Signature"><p data-testid="jwt-signature">{result.signature}</p></Section>
          <Section title="Introspection (RFC 7662)"><pre data-testid="introspection">{JSON.stringify(result.introspection, null, 2)}</pre></Section>
        </div>
      )}
    </>
  );
}
