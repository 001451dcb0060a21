import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyImportDocument } from '../../src/admin/import-apply.js';
import { readImportFile, validateImportDocument } from '../../src/admin/import-document.js';
import { AdminValidationError, formatProblem } from '../../src/admin/problems.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { verifySecret } from '../../src/crypto/password-hash.js';
import type { Store } from '../../src/store/types.js';

let dir: string;
let store: Store;
const masterKey = randomBytes(32);
const defaults = { accessTokenTtl: 3600 };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-import-'));
  store = await openSqliteStore(join(dir, 't.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const valid = {
  clients: [
    { client_id: 'svc', client_secret: 'at-least-8-chars', name: 'Service', grant_types: ['client_credentials'], scope: 'read write', default_scope: 'read', access_token_ttl: 900 },
    { client_id: 'poster', client_secret: 'another-secret', token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], scope: 'read' },
    { client_id: 'pub', token_endpoint_auth_method: 'none', grant_types: ['refresh_token'], scope: '' },
  ],
};

async function snapshot(): Promise<unknown> {
  return { clients: await store.clients.list(), users: await store.users.list(), orgs: await store.organizations.list(), changes: await store.changes.latest() };
}

async function rejected(doc: unknown): Promise<string[]> {
  const before = await snapshot();
  const err = await applyImportDocument(store, doc, { masterKey, defaults }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AdminValidationError);
  expect(await snapshot()).toEqual(before);
  return (err as AdminValidationError).problems.map(formatProblem);
}

describe('applyImportDocument', () => {
  it('applies a valid document: every field stored, secrets only as argon2id hashes', async () => {
    const summary = await applyImportDocument(store, valid, { masterKey, defaults });
    expect(summary.clients).toEqual({ created: 3, updated: 0 });
    const svc = (await store.clients.get('svc'))!;
    expect(svc).toMatchObject({ name: 'Service', tokenEndpointAuthMethod: 'client_secret_basic', grantTypes: ['client_credentials'], scope: ['read', 'write'], defaultScope: ['read'], accessTokenTtl: 900, status: 'active' });
    expect(svc.secretHash).toMatch(/^\$argon2id\$/);
    expect(await verifySecret(svc.secretHash!, 'at-least-8-chars')).toBe(true);
    expect(JSON.stringify(await store.clients.list())).not.toContain('at-least-8-chars');
    expect((await store.clients.get('poster'))!.tokenEndpointAuthMethod).toBe('client_secret_post');
    expect((await store.clients.get('pub'))!).toMatchObject({ secretHash: null, scope: [], tokenEndpointAuthMethod: 'none' });
  });

  it('is idempotent: the second apply changes nothing, not even the change feed', async () => {
    await applyImportDocument(store, valid, { masterKey, defaults });
    const before = await snapshot();
    const summary = await applyImportDocument(store, valid, { masterKey, defaults });
    expect(summary.clients).toEqual({ created: 0, updated: 0 });
    expect(await snapshot()).toEqual(before);
  });

  it('a changed field or secret updates the client', async () => {
    await applyImportDocument(store, valid, { masterKey, defaults });
    const doc = structuredClone(valid);
    doc.clients[0]!.scope = 'read';
    doc.clients[0]!.default_scope = 'read';
    doc.clients[1]!.client_secret = 'a-rotated-secret';
    const summary = await applyImportDocument(store, doc, { masterKey, defaults });
    expect(summary.clients).toEqual({ created: 0, updated: 2 });
    expect((await store.clients.get('svc'))!.scope).toEqual(['read']);
    expect(await verifySecret((await store.clients.get('poster'))!.secretHash!, 'a-rotated-secret')).toBe(true);
  });

  it('rejects an invalid document whole, naming each problem by JSON path, and writes nothing', async () => {
    await applyImportDocument(store, { clients: [valid.clients[0]!] }, { masterKey, defaults });
    const problems = await rejected({
      clients: [
        { ...valid.clients[0]!, scope: 'changed' },
        { client_id: 'new-one', client_secret: 'long-enough', grant_types: ['client_credentials'], scope: 'a' },
        { client_id: 'bad', grant_types: [], scope: 'x' },
      ],
    });
    expect(problems.some((p) => p.startsWith('$.clients[2].grant_types'))).toBe(true);
    expect(await store.clients.get('new-one')).toBeUndefined();
    expect((await store.clients.get('svc'))!.scope).toEqual(['read', 'write']);
  });

  it('semantic problems carry their paths too', async () => {
    const problems = await rejected({
      clients: [
        { client_id: 'a', client_secret: 'short', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'b', client_secret: 'long-enough', grant_types: ['client_credentials'], scope: 'read', default_scope: 'write' },
        { client_id: 'b', client_secret: 'long-enough', grant_types: ['client_credentials'], scope: 're"ad' },
        { client_id: 'c', client_secret: 'long-enough', client_secret_hash: 'plain-text-not-a-hash', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: ' padded', client_secret: 'long-enough', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'p', token_endpoint_auth_method: 'none', client_secret: 'long-enough', grant_types: ['x'], scope: '' },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\$\.clients\[0\]\.client_secret: /),
        expect.stringMatching(/^\$\.clients\[1\]\.default_scope: /),
        expect.stringMatching(/^\$\.clients\[2\]\.client_id: duplicate/),
        expect.stringMatching(/^\$\.clients\[2\]\.scope: /),
        expect.stringMatching(/^\$\.clients\[3\]\.client_secret_hash: /),
        expect.stringMatching(/^\$\.clients\[4\]\.client_id: /),
        expect.stringMatching(/^\$\.clients\[5\]\.client_secret: /),
      ]),
    );
    // No secret is echoed back in a problem.
    expect(problems.join('\n')).not.toContain('long-enough');
  });

  it('a new secret-method client without a secret is refused; an existing one keeps its secret', async () => {
    const problems = await rejected({ clients: [{ client_id: 'c', grant_types: ['client_credentials'], scope: 'read' }] });
    expect(problems).toEqual([expect.stringMatching(/^\$\.clients\[0\]\.client_secret: is required/)]);
    await applyImportDocument(store, { clients: [valid.clients[0]!] }, { masterKey, defaults });
    const { client_secret: _omitted, ...withoutSecret } = valid.clients[0]!;
    expect((await applyImportDocument(store, { clients: [{ ...withoutSecret, name: 'Renamed' }] }, { masterKey, defaults })).clients.updated).toBe(1);
    expect(await verifySecret((await store.clients.get('svc'))!.secretHash!, 'at-least-8-chars')).toBe(true);
  });

  it('schema problems: wrong types, unknown fields, missing required fields', async () => {
    const problems = await rejected({ clients: [{ client_id: 1, grant_types: 'x', scope: 'a', colour: 'red' }], extra: true });
    expect(problems.some((p) => p.startsWith('$.clients[0].client_id'))).toBe(true);
    expect(problems.some((p) => p.startsWith('$.clients[0].grant_types'))).toBe(true);
    expect(problems.length).toBeGreaterThanOrEqual(3);
    for (const doc of [null, [], 'x', { clients: {} }, { clients: [null] }]) expect((await rejected(doc)).length).toBeGreaterThan(0);
  });

  it('validateImportDocument accepts an empty document', () => {
    expect(validateImportDocument({})).toEqual([]);
  });

  it('readImportFile: unreadable files and invalid JSON are AdminValidationErrors', () => {
    expect(() => readImportFile(join(dir, 'missing.json'))).toThrow(AdminValidationError);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ nope');
    expect(() => readImportFile(bad)).toThrow(/not valid JSON/);
  });
});
