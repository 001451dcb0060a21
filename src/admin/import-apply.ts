import { randomUUID } from 'node:crypto';
import type { Client, Store } from '../store/types.js';
import { hashSecret, verifySecret } from '../crypto/password-hash.js';
import { clientSettings, type ClientDefaults } from './client-fields.js';
import { sealClientSecret } from '../keys/client-secret.js';
import { addApiKey } from './api-keys.js';
import { userSettings } from './user-fields.js';
import { storedProvider } from './identity-providers.js';
import { assertNoProblems } from './problems.js';
import { splitScope } from './scope.js';
import { nowSeconds } from './sessions.js';
import { IMPORT_PROBLEM_HEADING, importFacts, validateImportDocument, type ImportDocument } from './import-document.js';
import { recordAdminChange, type AdminAudit, type AdminChange } from './audit.js';
import type { EventInput } from '../observability/events.js';

export interface ImportSummary {
  clients: { created: number; updated: number };
  users: { created: number; updated: number };
  organizations: { created: number; updated: number };
  installations: { created: number; updated: number };
  identity_providers: { upserted: number };
}

export interface ImportOptions {
  masterKey: Buffer;
  defaults: ClientDefaults;
  /** The importer ('import' and the file name), recorded as one admin.change per record the document changed. */
  audit?: AdminAudit;
}

/** True when applying the patch would change the record (compared as JSON: arrays and objects by value). */
function changes(existing: object, patch: Record<string, unknown>): boolean {
  return Object.entries(patch).some(([k, v]) => JSON.stringify(v) !== JSON.stringify((existing as Record<string, unknown>)[k]));
}

/** The stored hash for a secret given in clear: the existing one when it already verifies, so a re-import changes nothing. */
async function hashUnlessSame(existingHash: string | null | undefined, secret: string): Promise<string> {
  return existingHash && (await verifySecret(existingHash, secret)) ? existingHash : hashSecret(secret);
}

/**
 * Validates the whole document, then upserts it in one transaction: applied whole or not at all, and applying
 * the same document twice changes nothing the second time.
 */
export async function applyImportDocument(store: Store, doc: unknown, opts: ImportOptions): Promise<ImportSummary> {
  assertNoProblems(validateImportDocument(doc, await importFacts(store, doc)), IMPORT_PROBLEM_HEADING);
  const d = doc as ImportDocument;
  const summary: ImportSummary = {
    clients: { created: 0, updated: 0 },
    users: { created: 0, updated: 0 },
    organizations: { created: 0, updated: 0 },
    installations: { created: 0, updated: 0 },
    identity_providers: { upserted: 0 },
  };
  // KDF work happens before the transaction so a write lock is never held across tens of milliseconds.
  const clientSecrets = new Map<string, Pick<Client, 'secretHash' | 'secretEncrypted'>>();
  for (const c of d.clients ?? []) {
    if (c.client_secret === undefined) continue;
    const existing = await store.clients.get(c.client_id);
    const secretHash = await hashUnlessSame(existing?.secretHash, c.client_secret);
    // client_secret_jwt keeps the secret itself, sealed: the same secret keeps its sealed copy too.
    const keep = secretHash === existing?.secretHash && existing.secretEncrypted !== null;
    const sealed = c.token_endpoint_auth_method !== 'client_secret_jwt' ? null : keep ? existing.secretEncrypted : sealClientSecret(opts.masterKey, c.client_id, c.client_secret);
    clientSecrets.set(c.client_id, { secretHash, secretEncrypted: sealed });
  }
  const userHashes = new Map<string, string>();
  for (const u of d.users ?? []) {
    if (u.password === undefined) continue;
    const existing = u.id ? await store.users.get(u.id) : await store.users.getByUsername(u.username);
    userHashes.set(u.username, await hashUnlessSame(existing?.passwordHash, u.password));
  }

  // Recorded once the transaction has committed: a document that fails leaves no events of changes it did not make.
  const changed: AdminChange[] = [];
  const deferred = opts.audit ? { ...opts.audit, events: { emit: (e: EventInput) => changed.push({ resource: 'api_key', action: 'add', id: String(e.details?.id), clientId: e.clientId ?? null }) } } : undefined;
  await store.transaction(async (tx) => {
    for (const c of d.clients ?? []) {
      const secret = clientSecrets.get(c.client_id);
      const secretHash = secret?.secretHash ?? c.client_secret_hash ?? null;
      const secretEncrypted = secret?.secretEncrypted ?? null;
      const fields = clientSettings(c, opts.defaults);
      const existing = await tx.clients.get(c.client_id);
      if (existing) {
        const patch = { ...fields, ...(secretHash !== null ? { secretHash } : {}), ...(secretEncrypted !== null ? { secretEncrypted } : {}) };
        if (changes(existing, patch)) {
          await tx.clients.update(c.client_id, patch);
          summary.clients.updated++;
          changed.push({ resource: 'client', action: 'update', id: c.client_id });
        }
      } else {
        await tx.clients.create({ clientId: c.client_id, ...fields, secretHash, secretEncrypted });
        summary.clients.created++;
        changed.push({ resource: 'client', action: 'create', id: c.client_id });
      }
      for (const k of c.api_keys ?? []) await addApiKey(tx, c.client_id, k, deferred);
    }
    for (const u of d.users ?? []) {
      const passwordHash = userHashes.get(u.username) ?? u.password_hash ?? null;
      const fields = userSettings(u);
      const existing = u.id ? await tx.users.get(u.id) : await tx.users.getByUsername(u.username);
      if (existing) {
        const patch = { ...fields, ...(passwordHash !== null ? { passwordHash } : {}) };
        if (changes(existing, patch)) {
          await tx.users.update(existing.id, patch);
          summary.users.updated++;
          changed.push({ resource: 'user', action: 'update', id: existing.id });
        }
      } else {
        const id = u.id ?? randomUUID();
        await tx.users.create({ id, ...fields, passwordHash });
        summary.users.created++;
        changed.push({ resource: 'user', action: 'create', id });
      }
    }
    for (const o of d.organizations ?? []) {
      const existing = await tx.organizations.get(o.id);
      // Stated whole: a record without metadata has none (a re-import removes what an operator added since).
      const fields = { name: o.name, status: o.status ?? ('active' as const), metadata: o.metadata ?? null };
      if (!existing) {
        await tx.organizations.create({ id: o.id, ...fields });
        summary.organizations.created++;
        changed.push({ resource: 'organization', action: 'create', id: o.id });
      } else if (changes(existing, fields)) {
        await tx.organizations.update(o.id, fields);
        summary.organizations.updated++;
        changed.push({ resource: 'organization', action: 'update', id: o.id });
      }
    }
    const now = nowSeconds();
    for (const inst of d.installations ?? []) {
      const scope = splitScope(inst.scope);
      const status = inst.status ?? 'active';
      const metadata = inst.metadata ?? null;
      const existing = await tx.installations.find(inst.org_id, inst.client_id);
      if (!existing) {
        const id = inst.id ?? randomUUID();
        changed.push({ resource: 'installation', action: 'install', id, clientId: inst.client_id, extra: { org_id: inst.org_id } });
        await tx.installations.create({ id, orgId: inst.org_id, clientId: inst.client_id, scope, status, approvedAt: now, revokedAt: status === 'revoked' ? now : null, metadata });
        summary.installations.created++;
      } else if (changes(existing, { scope, status, metadata })) {
        await tx.installations.update(existing.id, { scope, status, metadata, ...(status === 'revoked' && existing.status !== 'revoked' ? { revokedAt: now } : {}) });
        summary.installations.updated++;
        changed.push({ resource: 'installation', action: status === 'revoked' && existing.status !== 'revoked' ? 'revoke' : 'update', id: existing.id, clientId: inst.client_id, extra: { org_id: inst.org_id } });
      }
    }
    for (const p of d.identity_providers ?? []) {
      await tx.identityProviders.upsert(storedProvider(p, opts.masterKey));
      summary.identity_providers.upserted++;
      changed.push({ resource: 'identity_provider', action: 'save', id: p.name });
    }
  });
  for (const c of changed) recordAdminChange(opts.audit, c);
  return summary;
}
