import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyImportDocument } from '../../src/admin/import-apply.js';
import { importFacts, validateImportDocument } from '../../src/admin/import-document.js';
import { AdminValidationError, formatProblem } from '../../src/admin/problems.js';
import { supportedGrantTypes } from '../../src/admin/client-rules.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/types.js';

let dir: string;
let store: Store;
const opts = { masterKey: randomBytes(32), defaults: { accessTokenTtl: 3600 } };
const ED25519_KEY = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-import-doc-'));
  store = await openSqliteStore(join(dir, 't.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function snapshot(): Promise<unknown> {
  return { clients: await store.clients.list(), users: await store.users.list(), orgs: await store.organizations.list(), changes: await store.changes.latest() };
}

/** Problems as the CLI prints them, for the store as it is now. */
async function problemsOf(doc: unknown): Promise<string[]> {
  return validateImportDocument(doc, await importFacts(store, doc)).map(formatProblem);
}

const ok = { client_secret: 'long-enough-1', grant_types: ['client_credentials'], scope: 'read' };

describe('validateImportDocument: one pass', () => {
  it('reports schema and rule problems of every section together, each once with its JSON path, and applies nothing', async () => {
    const doc = {
      clients: [
        { client_id: 'svc', client_secret: 'short', grant_types: ['client_credential'], scope: 'read' },
        { client_id: 'pub', token_endpoint_auth_method: 'none', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'pkj', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://keys.example.com/jwks', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'typo', client_secret: 'long-enough-1', grant_types: 'client_credentials', scope: 'read', access_token_format: 'paseto' },
        { client_id: 'new', grant_types: ['client_credentials'], scope: 'read' },
      ],
      users: [{ username: 'ada', password: 'short' }, { username: ' bob', email: 'nope' }],
      organizations: [{ id: 'acme', name: 'Acme' }],
      installations: [
        { org_id: 'acme', client_id: 'svc', scope: 'read admin' },
        { org_id: 'nope', client_id: 'ghost', scope: 'read' },
      ],
      identity_providers: [{ name: 'corp', type: 'oidc', issuer: 'http://corp.example.com', jwks_uri: 'https://corp.example.com/jwks', audiences: ['x'] }],
      extra: true,
    };
    const before = await snapshot();
    const err = await applyImportDocument(store, doc, opts).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AdminValidationError);
    expect(await snapshot()).toEqual(before);
    const problems = (err as AdminValidationError).problems.map(formatProblem);
    expect(problems.sort()).toEqual(
      [
        '$.extra: is not a known field',
        `$.clients[0].grant_types: "client_credential" is neither a grant type of this server (${supportedGrantTypes().join(', ')}) nor an identity provider name`,
        '$.clients[0].client_secret: must be at least 8 characters',
        '$.clients[1].grant_types: "client_credentials" is for confidential clients only, and token_endpoint_auth_method "none" makes this a public client',
        '$.clients[2].jwks_uri: must be an https URL (http only for loopback hosts)',
        '$.clients[3].grant_types: Expected array',
        '$.clients[3].access_token_format: must be one of jwt, opaque',
        '$.clients[4].client_secret: is required to create a client with token_endpoint_auth_method "client_secret_basic"',
        '$.users[0].password: must be at least 8 characters',
        '$.users[1].username: must be 1-255 characters, without control characters or surrounding spaces',
        '$.users[1].email: is not an e-mail address',
        '$.installations[0].scope: client svc may not be granted admin (its scope is "read")',
        '$.installations[1].org_id: "nope" must be listed in organizations of this document',
        '$.installations[1].client_id: "ghost" must be listed in clients of this document',
        '$.identity_providers[0].issuer: must be an https URL (http only for loopback hosts or with allow_insecure_http)',
      ].sort(),
    );
    expect((err as AdminValidationError).message).toMatch(/^The import document is invalid:\n {2}\$/);
    expect((err as AdminValidationError).message).not.toContain('long-enough-1');
  });

  it('one mistake is one problem: a missing field is not also "Expected string", a bad auth method trips no rule', async () => {
    expect(await problemsOf({ clients: [{ client_id: 'a', client_secret: 'long-enough-1', grant_types: ['client_credentials'] }] })).toEqual(['$.clients[0].scope: is required']);
    expect(await problemsOf({ clients: [{ client_id: 'a', token_endpoint_auth_method: 'magic', client_secret: 'long-enough-1', grant_types: ['client_credentials'], scope: 'read' }] })).toEqual([
      '$.clients[0].token_endpoint_auth_method: must be one of client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, none, request_signature, tls_client_auth, self_signed_tls_client_auth',
    ]);
  });

  it.each([
    ['an unknown grant type', { clients: [{ client_id: 'a', ...ok, grant_types: ['client_credential'] }] }, /^\$\.clients\[0\]\.grant_types: "client_credential" is neither/],
    ['a public client given client_credentials', { clients: [{ client_id: 'a', token_endpoint_auth_method: 'none', grant_types: ['client_credentials'], scope: '' }] }, /^\$\.clients\[0\]\.grant_types: "client_credentials" is for confidential clients only/],
    ['a public client given org_implicit', { clients: [{ client_id: 'a', token_endpoint_auth_method: 'none', grant_types: ['org_implicit'], scope: '' }] }, /^\$\.clients\[0\]\.grant_types: "org_implicit" is for confidential clients only/],
    ['an http jwks_uri off loopback', { clients: [{ client_id: 'a', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://10.0.0.1/jwks', grant_types: ['client_credentials'], scope: '' }] }, /^\$\.clients\[0\]\.jwks_uri: must be an https URL/],
    ['a new private_key_jwt client without keys', { clients: [{ client_id: 'a', token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'], scope: '' }] }, /^\$\.clients\[0\]\.jwks: private_key_jwt needs jwks or jwks_uri$/],
    ['a new client_secret_jwt client given only a hash', { clients: [{ client_id: 'a', token_endpoint_auth_method: 'client_secret_jwt', client_secret_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', grant_types: ['client_credentials'], scope: '' }] }, /^\$\.clients\[0\]\.client_secret: client_secret_jwt needs the plain secret/],
    ['a user password shorter than the CLI minimum', { users: [{ username: 'ada', password: 'seven77' }] }, /^\$\.users\[0\]\.password: must be at least 8 characters$/],
    ['a username with surrounding spaces', { users: [{ username: 'ada ' }] }, /^\$\.users\[0\]\.username: must be 1-255 characters/],
    ['a user e-mail that is not an address', { users: [{ username: 'ada', email: 'ada.example.com' }] }, /^\$\.users\[0\]\.email: is not an e-mail address$/],
    ['a blank organisation name', { organizations: [{ id: 'acme', name: ' ' }] }, /^\$\.organizations\[0\]\.name: must not be empty$/],
    ['an organisation listed twice', { organizations: [{ id: 'acme', name: 'A' }, { id: 'acme', name: 'B' }] }, /^\$\.organizations\[1\]\.id: duplicate "acme"$/],
    ['an installation approving beyond its client', { clients: [{ client_id: 'a', ...ok }], organizations: [{ id: 'o', name: 'O' }], installations: [{ org_id: 'o', client_id: 'a', scope: 'read write' }] }, /^\$\.installations\[0\]\.scope: client a may not be granted write/],
    ['an installation listed twice', { clients: [{ client_id: 'a', ...ok }], organizations: [{ id: 'o', name: 'O' }], installations: [{ org_id: 'o', client_id: 'a', scope: 'read' }, { org_id: 'o', client_id: 'a', scope: '' }] }, /^\$\.installations\[1\]\.client_id: "a" is installed in "o" twice$/],
    ['an identity provider listed twice', { identity_providers: [1, 2].map(() => ({ name: 'p', type: 'jwt_bearer', issuer: 'https://p.example', jwks_uri: 'https://p.example/jwks' })) }, /^\$\.identity_providers\[1\]\.name: duplicate "p"$/],
    ['one API key on two clients', { clients: [{ client_id: 'a', ...ok, api_keys: [ED25519_KEY] }, { client_id: 'b', ...ok, api_keys: [ED25519_KEY.toUpperCase()] }] }, /^\$\.clients\[1\]\.api_keys\[0\]: already belongs to client a$/],
  ])('refuses %s', async (_what, doc, message) => {
    expect(await problemsOf(doc)).toEqual([expect.stringMatching(message)]);
    await expect(applyImportDocument(store, doc, opts)).rejects.toBeInstanceOf(AdminValidationError);
  });
});

describe('validateImportDocument: what the store already holds', () => {
  it('a grant type may name a stored identity provider, or one of the document', async () => {
    const provider = { name: 'partner', type: 'jwt_bearer', issuer: 'https://partner.example', jwks_uri: 'https://partner.example/jwks' };
    const client = { client_id: 'a', ...ok, grant_types: ['partner'] };
    expect(await problemsOf({ clients: [client], identity_providers: [provider] })).toEqual([]);
    expect(await problemsOf({ clients: [client] })).toEqual([expect.stringMatching(/"partner" is neither a grant type/)]);
    await applyImportDocument(store, { identity_providers: [provider] }, opts);
    expect(await problemsOf({ clients: [client] })).toEqual([]);
  });

  it('a stored client keeps its secret; an API key of another stored client is refused before anything is written', async () => {
    await applyImportDocument(store, { clients: [{ client_id: 'a', ...ok, api_keys: [ED25519_KEY] }] }, opts);
    const { client_secret: _secret, ...withoutSecret } = { client_id: 'a', ...ok };
    expect(await problemsOf({ clients: [withoutSecret] })).toEqual([]);
    const before = await snapshot();
    const doc = { clients: [{ client_id: 'b', ...ok, api_keys: [ED25519_KEY] }] };
    await expect(applyImportDocument(store, doc, opts)).rejects.toThrow(/\$\.clients\[0\]\.api_keys\[0\]: already belongs to client a/);
    expect(await snapshot()).toEqual(before);
  });

  it('the outline: a document that is not an object, or a section that is not a list', async () => {
    expect(await problemsOf(null)).toEqual(['$: Expected object']);
    expect(await problemsOf({ clients: {} })).toEqual(['$.clients: Expected array']);
    expect(await problemsOf({ clients: [null] })).toEqual(['$.clients[0]: Expected object']);
  });
});

describe('organisation and installation metadata in the document', () => {
  const doc = (orgMeta?: unknown, instMeta?: unknown) => ({
    clients: [{ client_id: 'app', ...ok, grant_types: ['org_implicit'] }],
    organizations: [{ id: 'acme', name: 'Acme', ...(orgMeta !== undefined ? { metadata: orgMeta } : {}) }],
    installations: [{ org_id: 'acme', client_id: 'app', scope: 'read', ...(instMeta !== undefined ? { metadata: instMeta } : {}) }],
  });

  it('stores both, changes nothing on a second apply, replaces a changed object whole and removes an omitted one', async () => {
    expect(await applyImportDocument(store, doc({ tier: 'gold', limits: { seats: 5 } }, { plan: 'pro' }), opts)).toMatchObject({ organizations: { created: 1 }, installations: { created: 1 } });
    expect((await store.organizations.get('acme'))!.metadata).toEqual({ tier: 'gold', limits: { seats: 5 } });
    expect((await store.installations.find('acme', 'app'))!.metadata).toEqual({ plan: 'pro' });
    const seq = await store.changes.latest();
    expect(await applyImportDocument(store, doc({ tier: 'gold', limits: { seats: 5 } }, { plan: 'pro' }), opts)).toMatchObject({ organizations: { created: 0, updated: 0 }, installations: { created: 0, updated: 0 } });
    expect(await store.changes.latest()).toBe(seq);
    expect(await applyImportDocument(store, doc({ tier: 'silver' }, { plan: 'team' }), opts)).toMatchObject({ organizations: { updated: 1 }, installations: { updated: 1 } });
    expect((await store.organizations.get('acme'))!.metadata).toEqual({ tier: 'silver' });
    expect((await store.installations.find('acme', 'app'))!.metadata).toEqual({ plan: 'team' });
    // Each record is stated whole: without metadata it has none.
    expect(await applyImportDocument(store, doc(), opts)).toMatchObject({ organizations: { updated: 1 }, installations: { updated: 1 } });
    expect((await store.organizations.get('acme'))!.metadata).toBeNull();
    expect((await store.installations.find('acme', 'app'))!.metadata).toBeNull();
  });

  it('refuses metadata out of bounds or not an object with the messages of a client\'s metadata, and writes nothing', async () => {
    const deep = { a: { b: { c: { d: { e: 1 } } } } };
    const big = { big: 'x'.repeat(5000) };
    const clientSaid = await problemsOf({ clients: [{ client_id: 'x', ...ok, metadata: deep }, { client_id: 'y', ...ok, metadata: big }] });
    expect(clientSaid).toEqual(['$.clients[0].metadata: must be nested at most 4 levels deep', expect.stringMatching(/^\$\.clients\[1\]\.metadata: must be at most 4096 bytes as JSON \(is \d+\)$/)]);
    const bigMessage = clientSaid[1]!.replace('$.clients[1].metadata: ', '');
    expect(await problemsOf(doc(deep, big))).toEqual([`$.organizations[0].metadata: must be nested at most 4 levels deep`, `$.installations[0].metadata: ${bigMessage}`]);
    const tooMany = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]));
    expect(await problemsOf(doc(tooMany, ['a']))).toEqual(['$.organizations[0].metadata: must have at most 64 keys in all (has 65)', expect.stringMatching(/^\$\.installations\[0\]\.metadata: /)]);
    expect(await problemsOf(doc('gold', 7))).toEqual([expect.stringMatching(/^\$\.organizations\[0\]\.metadata: /), expect.stringMatching(/^\$\.installations\[0\]\.metadata: /)]);
    const before = await snapshot();
    await expect(applyImportDocument(store, doc(deep, big), opts)).rejects.toBeInstanceOf(AdminValidationError);
    expect(await snapshot()).toEqual(before);
  });
});
