import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/admin/clients.js';
import { approvedScopeProblems, createOrganization, describeInstallation, describeOrganization, installClient, organizationProblems, revokeInstallation, setOrganizationStatus, updateInstallationScope, updateOrganization } from '../../src/admin/organizations.js';
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
    expect((await updateInstallationScope(s.store, installation.id, 'wallet:read wallet:write')).installation.scope).toEqual(['wallet:read', 'wallet:write']);
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

describe('what operators are shown', () => {
  it('organisations and installations with ISO times, revocation only when revoked', () => {
    expect(describeOrganization({ id: 'acme', name: 'Acme', status: 'active', createdAt: 0, updatedAt: 1, version: 3 })).toEqual({ id: 'acme', name: 'Acme', status: 'active', created_at: '1970-01-01T00:00:00.000Z', updated_at: '1970-01-01T00:00:01.000Z' });
    const shown = describeInstallation({ id: 'i', orgId: 'acme', clientId: 'app', scope: ['a', 'b'], status: 'active', createdAt: 0, approvedAt: 0, revokedAt: null, version: 1 });
    expect(shown).toMatchObject({ scope: 'a b', approved_at: '1970-01-01T00:00:00.000Z', revoked_at: undefined });
  });
});
