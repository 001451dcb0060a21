import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { CliError } from '../../src/cli/output.js';
import { validateImportDocument } from '../../src/admin/import-document.js';
import { formatProblem } from '../../src/admin/problems.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

/** `tessera client ...` in-process: the CLI refuses what the import document refuses, in the same words. */
const dir = mkdtempSync(join(tmpdir(), 'tessera-clients-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function run(args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await (await buildProgram()).parseAsync([...args, '--data-dir', dir], { from: 'user' });
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

async function refusal(args: string[]): Promise<CliError> {
  const err = await run(args).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(CliError);
  return err as CliError;
}

/** The import's problems for the same client, with the record's path prefix taken off (the CLI names fields bare). */
function importSays(item: Record<string, unknown>): string {
  return validateImportDocument({ clients: [item] })
    .map((p) => formatProblem({ ...p, path: p.path.replace(/^\$\.clients\[0\]\.?/, '') }))
    .join('\n');
}

describe('tessera client create / update: the import document rules, the same messages', () => {
  it.each([
    ['an unknown grant type', ['--grant', 'client_credential', '--secret', 'long-enough-1'], { grant_types: ['client_credential'], client_secret: 'long-enough-1' }],
    ['a public client given client_credentials', ['--auth-method', 'none', '--grant', 'client_credentials'], { token_endpoint_auth_method: 'none', grant_types: ['client_credentials'] }],
    ['an http jwks_uri off loopback', ['--auth-method', 'private_key_jwt', '--jwks-uri', 'http://10.0.0.1/jwks'], { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://10.0.0.1/jwks', grant_types: ['client_credentials'] }],
    ['a short secret', ['--secret', 'short'], { client_secret: 'short', grant_types: ['client_credentials'] }],
    ['a zero lifetime', ['--ttl', '0', '--secret', 'long-enough-1'], { access_token_ttl: 0, client_secret: 'long-enough-1', grant_types: ['client_credentials'] }],
    ['a default scope beyond the scope', ['--scope', 'read', '--default-scope', 'write', '--secret', 'long-enough-1'], { scope: 'read', default_scope: 'write', client_secret: 'long-enough-1', grant_types: ['client_credentials'] }],
    ['an unknown auth method', ['--auth-method', 'magic'], { token_endpoint_auth_method: 'magic', grant_types: ['client_credentials'] }],
    ['a claim template that overrides a reserved claim', ['--claims', 'sub=someone-else', '--secret', 'long-enough-1'], { claims: { sub: 'someone-else' }, client_secret: 'long-enough-1', grant_types: ['client_credentials'] }],
    ['metadata nested too deep', ['--metadata', '{"a":{"b":{"c":{"d":{"e":1}}}}}', '--secret', 'long-enough-1'], { metadata: { a: { b: { c: { d: { e: 1 } } } } }, client_secret: 'long-enough-1', grant_types: ['client_credentials'] }],
  ])('create refuses %s (exit 2) with the import message, and stores nothing', async (_what, flags, item) => {
    const err = await refusal(['client', 'create', '--id', 'refused', ...flags]);
    expect(err.exitCode).toBe(2);
    const expected = importSays({ client_id: 'refused', scope: '', ...item });
    expect(expected).not.toBe('');
    expect(err.message).toBe(expected);
    const store = await openSqliteStore(join(dir, 'tessera.db'));
    try {
      expect(await store.clients.get('refused')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('update checks the client as it would be after the change', async () => {
    await run(['client', 'create', '--id', 'app', '--scope', 'read write', '--default-scope', 'read']);
    expect((await refusal(['client', 'update', 'app', '--scope', 'write'])).message).toBe('default_scope: "read" is not in scope');
    expect((await refusal(['client', 'update', 'app', '--auth-method', 'none'])).message).toMatch(/^grant_types: "client_credentials" is for confidential clients only/);
    expect(JSON.parse(await run(['client', 'update', 'app', '--scope', 'read admin', '--json']))).toMatchObject({ scope: 'read admin', default_scope: 'read' });
  });

  it('--dpop-bound sets dpop_bound_access_tokens (RFC 9449 §5.2); a client without it shows false', async () => {
    expect(JSON.parse(await run(['client', 'create', '--id', 'dpop-cli', '--dpop-bound', '--json']))).toMatchObject({ dpop_bound_access_tokens: true });
    expect(JSON.parse(await run(['client', 'create', '--id', 'plain-cli', '--json']))).toMatchObject({ dpop_bound_access_tokens: false });
  });
});

describe('tessera client rotate-secret --keep-old-for / remove-secret / show', () => {
  it('keeps the old secret, shows both secrets, refuses a third, removes the kept one; a bad duration exits 2', async () => {
    await run(['client', 'create', '--id', 'rot-cli', '--grant', 'client_credentials', '--json']);
    const rotated = JSON.parse(await run(['client', 'rotate-secret', 'rot-cli', '--keep-old-for', '24h', '--json'])) as Record<string, string>;
    expect(rotated).toMatchObject({ client_id: 'rot-cli', secret_id: expect.stringMatching(/^[0-9a-f]{8}$/), kept_secret_id: expect.stringMatching(/^[0-9a-f]{8}$/) });
    const shown = JSON.parse(await run(['client', 'show', 'rot-cli', '--json'])) as { secrets: Array<Record<string, unknown>> };
    expect(shown.secrets.map((s) => [s.secret_id, s.current, s.expires_at])).toEqual([
      [rotated.secret_id, true, null],
      [rotated.kept_secret_id, false, rotated.kept_until],
    ]);
    const text = await run(['client', 'show', 'rot-cli']);
    expect(text).toContain(`secret ${rotated.kept_secret_id}`);
    expect(text).toMatch(/kept, expires \S+, last used never recorded/);
    expect((await refusal(['client', 'rotate-secret', 'rot-cli', '--keep-old-for', '1h'])).exitCode).toBe(1);
    const bad = await refusal(['client', 'rotate-secret', 'rot-cli', '--keep-old-for', 'soon']);
    expect(bad.exitCode).toBe(2);
    expect(bad.message).toContain('keep_old_for');
    expect((await refusal(['client', 'remove-secret', 'rot-cli', rotated.secret_id!])).exitCode).toBe(1);
    expect(await run(['client', 'remove-secret', 'rot-cli', rotated.kept_secret_id!])).toContain(`removed secret ${rotated.kept_secret_id}`);
    expect((JSON.parse(await run(['client', 'show', 'rot-cli', '--json'])) as { secrets: unknown[] }).secrets).toHaveLength(1);
  });
});
describe('tessera client: metadata, claims and allowed resources', () => {
  it('takes --metadata and --claims as JSON or key=value (values parsed as JSON when they are), and --allowed-resource repeated', async () => {
    const out = await run([
      'client', 'create', '--id', 'claimed', '--secret', 'long-enough-1', '--json',
      '--metadata', '{"plan":"gold"}', '--metadata', 'seats=5', '--metadata', 'region=eu west',
      '--claims', 'plan={{client.metadata.plan}}', '--claims', '{"tier":2}',
      '--allowed-resource', 'https://api.example.com/', '--allowed-resource', 'payments',
    ]);
    expect(JSON.parse(out)).toMatchObject({
      client_id: 'claimed',
      metadata: { plan: 'gold', seats: 5, region: 'eu west' },
      claims: { plan: '{{client.metadata.plan}}', tier: 2 },
      allowed_resources: ['https://api.example.com/', 'payments'],
    });
  });

  it('refuses a --metadata that is neither JSON nor key=value (exit 2)', async () => {
    const err = await refusal(['client', 'create', '--id', 'bad-meta', '--secret', 'long-enough-1', '--metadata', 'plain']);
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe('--metadata must be a JSON object or key=value');
    expect((await refusal(['client', 'create', '--id', 'bad-meta', '--secret', 'long-enough-1', '--metadata', '{oops'])).message).toBe('--metadata is not valid JSON');
  });
});


describe('tessera client create / update: mutual TLS (RFC 8705)', () => {
  it('creates a tls_client_auth client with one certificate name, without a secret, and keeps exactly one name', async () => {
    const created = JSON.parse(await run(['client', 'create', '--id', 'mtls-cli', '--auth-method', 'tls_client_auth', '--tls-san-uri', 'spiffe://example.org/svc', '--json'])) as Record<string, unknown>;
    expect(created).toMatchObject({ client_id: 'mtls-cli', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_uri: 'spiffe://example.org/svc', tls_client_certificate_bound_access_tokens: false });
    expect(created).not.toHaveProperty('client_secret');
    expect((await refusal(['client', 'update', 'mtls-cli', '--tls-subject-dn', 'CN=svc'])).message).toMatch(/^tls_client_auth_san_uri: tls_client_auth takes exactly one of .* tls_client_auth_subject_dn and tls_client_auth_san_uri are set/);
    expect((await refusal(['client', 'create', '--id', 'mtls-bad', '--auth-method', 'tls_client_auth', '--tls-san-ip', '300.1.1.1'])).message).toBe('tls_client_auth_san_ip: must be an IPv4 or IPv6 address');
    expect(JSON.parse(await run(['client', 'update', 'mtls-cli', '--tls-bound-tokens', '--json']))).toMatchObject({ tls_client_certificate_bound_access_tokens: true });
  });
});
