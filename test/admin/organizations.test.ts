import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/admin/clients.js';
import {
  approvedScopeProblems,
  createOrganization,
  describeInstallation,
  describeOrganization,
  installationRecordProblems,
  installClient,
  organizationProblems,
  revokeInstallation,
  setOrganizationStatus,
  updateInstallation,
  updateOrganization,
} from '../../src/admin/organizations.js';
import { clientProblems } from '../../src/admin/client-rules.js';
import { formatProblem } from '../../src/admin/problems.js';
import { AdminConflictError, AdminNotFoundError, AdminValidationError } from '../../src/admin/problems.js';
import { useTempStore } from '../support/temp-store.js';

const s = useTempStore();
const opts = { masterKey: randomBytes(32), defaults: { accessTokenTtl: 600 } };

describe('organisations', () => {
  it('create (id generated when absent), refuse blank names, disable and enable', async () => {
    expect((await createOrganization(s.store, { name: 'Generated' })).id).toMatch(/^[0-9a-f-]{36}$/);
    await expect(createOrganization(s.store, { id: 'acme', name: '  ' })).rejects.toThrow('name: must not be empty');
    await createOrganization(s.store, { id: 'acme', name: 'Acme' });
    expect((await setOrganizationStatus(s.store, 'acme', 'disabled')).status).toBe('disabled');
    await expect(setOrganizationStatus(s.store, 'nope', 'active')).rejects.toBeInstanceOf(AdminNotFoundError);
    expect(organizationProblems({ id: 'x' }, '$.organizations[0]')).toEqual([{ path: '$.organizations[0].name', message: 'is required' }]);
  });

  it('update: rename and change status, checked whole with the import document\'s messages', async () => {
    await createOrganization(s.store, { id: 'acme', name: 'Acme' });
    expect(await updateOrganization(s.store, 'acme', { name: 'Acme Corp', status: 'disabled' })).toMatchObject({ name: 'Acme Corp', status: 'disabled' });
    expect(await updateOrganization(s.store, 'acme', { status: 'active' })).toMatchObject({ name: 'Acme Corp', status: 'active' });
    await expect(updateOrganization(s.store, 'acme', { name: ' ', status: 'gone' })).rejects.toThrow(AdminValidationError);
    await expect(updateOrganization(s.store, 'acme', { name: ' ' })).rejects.toThrow('name: must not be empty');
    await expect(updateOrganization(s.store, 'acme', { status: 'gone' })).rejects.toThrow('status: must be one of active, disabled');
    await expect(updateOrganization(s.store, 'nope', { name: 'N' })).rejects.toBeInstanceOf(AdminNotFoundError);
    expect((await updateOrganization(s.store, 'acme', {})).name).toBe('Acme Corp');
  });
});

describe('installations', () => {
  it('approve only valid scopes the client may hold', () => {
    const client = { clientId: 'app', scope: ['wallet:read', 'wallet:write'] };
    expect(approvedScopeProblems('wallet:read', client, 'scope')).toEqual([]);
    expect(approvedScopeProblems('wallet:read admin', client, 'scope')).toEqual([{ path: 'scope', message: 'client app may not be granted admin (its scope is "wallet:read wallet:write")' }]);
    expect(approvedScopeProblems('bad"', client, 'scope')).toEqual([{ path: 'scope', message: '"bad"" is not a valid scope token (RFC 6749 §3.3)' }]);
  });

  it('install, refuse a second active one, update, revoke, re-install the same installation', async () => {
    await createOrganization(s.store, { id: 'acme', name: 'Acme' });
    await createClient(s.store, { client_id: 'app', grant_types: ['org_implicit'], scope: 'wallet:read wallet:write' }, opts);
    const { installation, warnings } = await installClient(s.store, { orgId: 'acme', clientId: 'app', scope: 'wallet:read' });
    expect(warnings).toEqual([]);
    expect(installation).toMatchObject({ orgId: 'acme', clientId: 'app', scope: ['wallet:read'], status: 'active' });
    await expect(installClient(s.store, { orgId: 'acme', clientId: 'app', scope: '' })).rejects.toThrow(/already installed in acme/);
    await expect(installClient(s.store, { orgId: 'acme', clientId: 'app', scope: 'admin' })).rejects.toBeInstanceOf(AdminValidationError);
    await expect(installClient(s.store, { orgId: 'nope', clientId: 'app', scope: '' })).rejects.toThrow('no organization nope');
    expect((await updateInstallation(s.store, installation.id, { scope: 'wallet:read wallet:write' })).installation.scope).toEqual(['wallet:read', 'wallet:write']);
    expect((await revokeInstallation(s.store, installation.id)).status).toBe('revoked');
    await expect(revokeInstallation(s.store, installation.id)).rejects.toBeInstanceOf(AdminConflictError);
    expect((await installClient(s.store, { orgId: 'acme', clientId: 'app', scope: 'wallet:read' })).installation).toMatchObject({ id: installation.id, status: 'active', revokedAt: null });
  });

  it('warns when the client cannot use the installation yet (no org_implicit grant)', async () => {
    await createOrganization(s.store, { id: 'acme', name: 'Acme' });
    await createClient(s.store, { client_id: 'svc', scope: 'read' }, opts);
    expect((await installClient(s.store, { orgId: 'acme', clientId: 'svc', scope: 'read' })).warnings).toEqual(['client svc does not have the org_implicit grant type; it cannot fetch org tokens until it does']);
  });
});

/** The bounds of every metadata object, as the import document words them for a client (the reference). */
const TOO_DEEP = { a: { b: { c: { d: { e: 1 } } } } };
const TOO_MANY = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]));
const TOO_BIG = { big: 'x'.repeat(5000) };
const clientMessages = (metadata: unknown) =>
  clientProblems({ client_id: 'c', client_secret: 'long-enough-1', grant_types: ['client_credentials'], scope: 'read', metadata }, '$.x', { exists: false, providers: new Set() }).map(formatProblem);

describe('organisation and installation metadata: the bounds and messages of client metadata', () => {
  it('the record rules refuse what a client\'s metadata refuses, with the same message', () => {
    for (const bad of [TOO_DEEP, TOO_MANY, TOO_BIG, 'gold', ['a'], 5]) {
      const expected = clientMessages(bad);
      expect(expected).toHaveLength(1);
      expect(organizationProblems({ id: 'acme', name: 'Acme', metadata: bad }, '$.x').map(formatProblem)).toEqual(expected);
      expect(installationRecordProblems({ org_id: 'acme', client_id: 'app', scope: '', metadata: bad }, '$.x').map(formatProblem)).toEqual(expected);
    }
    expect(organizationProblems({ id: 'acme', name: 'Acme', metadata: TOO_DEEP }, '')).toEqual([{ path: 'metadata', message: 'must be nested at most 4 levels deep' }]);
    expect(organizationProblems({ id: 'acme', name: 'Acme', metadata: { tier: 'gold', limits: { seats: 5 } } }, '')).toEqual([]);
    expect(installationRecordProblems({ org_id: 'acme', client_id: 'app', scope: '', metadata: { plan: 'pro' } }, '')).toEqual([]);
  });

  it('create and update an organisation with metadata: replaced whole, kept by a rename, removed by null, refused out of bounds', async () => {
    const o = await createOrganization(s.store, { id: 'acme', name: 'Acme', metadata: { tier: 'gold', limits: { seats: 5 } } });
    expect(o.metadata).toEqual({ tier: 'gold', limits: { seats: 5 } });
    expect((await updateOrganization(s.store, 'acme', { name: 'Acme Corp' })).metadata).toEqual({ tier: 'gold', limits: { seats: 5 } });
    expect((await updateOrganization(s.store, 'acme', { metadata: { region: 'eu' } })).metadata).toEqual({ region: 'eu' });
    await expect(updateOrganization(s.store, 'acme', { metadata: TOO_DEEP })).rejects.toThrow('metadata: must be nested at most 4 levels deep');
    await expect(updateOrganization(s.store, 'acme', { metadata: 'gold' })).rejects.toThrow(AdminValidationError);
    await expect(createOrganization(s.store, { id: 'big', name: 'Big', metadata: TOO_BIG })).rejects.toThrow(/metadata: must be at most 4096 bytes as JSON/);
    expect(await s.store.organizations.get('big')).toBeUndefined();
    // Refusals wrote nothing.
    expect((await s.store.organizations.get('acme'))!.metadata).toEqual({ region: 'eu' });
    expect((await updateOrganization(s.store, 'acme', { metadata: null })).metadata).toBeNull();
  });

  it('install with metadata, replace it, keep it on a scope change, refuse it out of bounds; a re-install states it anew', async () => {
    await createOrganization(s.store, { id: 'acme', name: 'Acme' });
    await createClient(s.store, { client_id: 'app', grant_types: ['org_implicit'], scope: 'wallet:read wallet:write' }, opts);
    await expect(installClient(s.store, { orgId: 'acme', clientId: 'app', scope: 'wallet:read', metadata: TOO_MANY })).rejects.toThrow('metadata: must have at most 64 keys in all (has 65)');
    expect(await s.store.installations.find('acme', 'app')).toBeUndefined();
    const { installation } = await installClient(s.store, { orgId: 'acme', clientId: 'app', scope: 'wallet:read', metadata: { plan: 'pro' } });
    expect(installation.metadata).toEqual({ plan: 'pro' });
    expect((await updateInstallation(s.store, installation.id, { scope: 'wallet:read wallet:write' })).installation.metadata).toEqual({ plan: 'pro' });
    const replaced = (await updateInstallation(s.store, installation.id, { metadata: { plan: 'team', seats: 3 } })).installation;
    expect(replaced).toMatchObject({ scope: ['wallet:read', 'wallet:write'], metadata: { plan: 'team', seats: 3 } });
    await expect(updateInstallation(s.store, installation.id, { metadata: TOO_BIG })).rejects.toThrow(/metadata: must be at most 4096 bytes as JSON/);
    expect((await s.store.installations.get(installation.id))!.metadata).toEqual({ plan: 'team', seats: 3 });
    await revokeInstallation(s.store, installation.id);
    expect((await installClient(s.store, { orgId: 'acme', clientId: 'app', scope: 'wallet:read' })).installation).toMatchObject({ id: installation.id, metadata: null });
    expect((await updateInstallation(s.store, installation.id, { metadata: { plan: 'pro' } })).installation.metadata).toEqual({ plan: 'pro' });
    expect((await updateInstallation(s.store, installation.id, { metadata: null })).installation.metadata).toBeNull();
  });
});

describe('what operators are shown', () => {
  it('organisations and installations with ISO times, revocation only when revoked', () => {
    expect(describeOrganization({ id: 'acme', name: 'Acme', status: 'active', createdAt: 0, updatedAt: 1, version: 3 })).toEqual({ id: 'acme', name: 'Acme', status: 'active', created_at: '1970-01-01T00:00:00.000Z', updated_at: '1970-01-01T00:00:01.000Z' });
    const shown = describeInstallation({ id: 'i', orgId: 'acme', clientId: 'app', scope: ['a', 'b'], status: 'active', createdAt: 0, approvedAt: 0, revokedAt: null, version: 1 });
    expect(shown).toMatchObject({ scope: 'a b', approved_at: '1970-01-01T00:00:00.000Z', revoked_at: undefined });
    expect(shown.metadata).toBeUndefined();
    expect(describeOrganization({ id: 'acme', name: 'Acme', status: 'active', metadata: { tier: 'gold' }, createdAt: 0, updatedAt: 0, version: 1 }).metadata).toEqual({ tier: 'gold' });
    expect(describeInstallation({ id: 'i', orgId: 'acme', clientId: 'app', scope: [], status: 'active', createdAt: 0, approvedAt: 0, revokedAt: null, metadata: { plan: 'pro' }, version: 1 }).metadata).toEqual({ plan: 'pro' });
  });
});
