import type { Client, IfVersion, Store } from '../store/types.js';
import { randomToken } from '../crypto/random.js';
import { hashSecret } from '../crypto/password-hash.js';
import { sealClientSecret } from '../keys/client-secret.js';
import { CLIENT_FIELDS, clientAsInput, clientSettings, clientSettingsPatch, clientSettingsReset, type ClientDefaults, type ClientInput } from './client-fields.js';
import { clientProblems, generatedSecretBytes, isSecretMethod } from './client-rules.js';
import { addApiKey } from './api-keys.js';
import { withInitialValues } from './fields.js';
import { AdminConflictError, AdminNotFoundError, assertNoProblems } from './problems.js';
import { recordAdminChange, type AdminAudit } from './audit.js';
import { VersionConflictError } from '../store/errors.js';

export interface ClientOptions {
  masterKey: Buffer;
  defaults: ClientDefaults;
  /** Who makes the change, recorded as an admin.change event. */
  audit?: AdminAudit;
}

/** Settings an update may change: everything but the id, the secret (client-secrets.ts) and the API keys. */
export type ClientSettingsInput = Omit<Partial<ClientInput>, 'client_id' | 'client_secret' | 'client_secret_hash' | 'api_keys'>;

/** The names a client's grant_types may list besides the registered grant types. */
async function identityProviderNames(store: Store): Promise<Set<string>> {
  return new Set((await store.identityProviders.list()).map((p) => p.name));
}

/** The stored secret fields for a secret given in clear: its hash, and for client_secret_jwt the sealed secret. */
export async function storedSecret(clientId: string, method: Client['tokenEndpointAuthMethod'], secret: string, masterKey: Buffer): Promise<Pick<Client, 'secretHash' | 'secretEncrypted'>> {
  return { secretHash: await hashSecret(secret), secretEncrypted: method === 'client_secret_jwt' ? sealClientSecret(masterKey, clientId, secret) : null };
}

export async function getClient(store: Store, clientId: string): Promise<Client> {
  const c = await store.clients.get(clientId);
  if (!c) throw new AdminNotFoundError(`no client ${clientId}`);
  return c;
}

/**
 * Creates a client. Without an id one is generated; a client of a secret method given no secret gets a
 * generated one, returned to be shown once. A taken id is the store's ConflictError. `alongside` runs in the same
 * transaction once the client is written (dynamic registration records its token there, admin/registration.ts).
 */
export async function createClient(store: Store, input: Partial<ClientInput>, opts: ClientOptions, alongside?: (tx: Store, client: Client) => Promise<void>): Promise<{ client: Client; secret?: string }> {
  const full = withInitialValues(CLIENT_FIELDS, { ...input, client_id: input.client_id ?? randomToken(12) });
  const method = full.token_endpoint_auth_method ?? 'client_secret_basic';
  const generated = isSecretMethod(method) && full.client_secret === undefined && full.client_secret_hash === undefined ? randomToken(generatedSecretBytes(method)) : undefined;
  if (generated !== undefined) full.client_secret = generated;
  assertNoProblems(clientProblems(full, '', { exists: false, providers: await identityProviderNames(store) }));
  const c = full as ClientInput;
  const secret = c.client_secret !== undefined ? await storedSecret(c.client_id, method, c.client_secret, opts.masterKey) : { secretHash: c.client_secret_hash ?? null, secretEncrypted: null };
  const client = await store.transaction(async (tx) => {
    const created = await tx.clients.create({ clientId: c.client_id, ...clientSettings(c, opts.defaults), ...secret });
    for (const k of c.api_keys ?? []) await addApiKey(tx, c.client_id, k);
    if (alongside) await alongside(tx, created);
    return created;
  });
  recordAdminChange(opts.audit, { resource: 'client', action: 'create', id: client.clientId, fields: Object.keys(input).filter((k) => k !== 'client_secret') });
  return generated === undefined ? { client } : { client, secret: generated };
}

/**
 * A change to a client's settings: a value sets the field, null removes it (it takes its default again), as in a
 * JSON merge patch (RFC 7396).
 */
export type ClientSettingsPatch = { [K in keyof ClientSettingsInput]?: ClientSettingsInput[K] | null };

/**
 * Changes the settings the input names; the result is checked whole, as if stated in the import document. With
 * `cond.ifVersion` the write is a compare-and-set: a client changed meanwhile (by anyone, on any node) is the
 * store's VersionConflictError and nothing is written.
 */
export async function updateClient(store: Store, clientId: string, patch: ClientSettingsPatch, opts: ClientOptions, cond: IfVersion = {}): Promise<Client> {
  const existing = await getClient(store, clientId);
  const merged: Record<string, unknown> = { ...clientAsInput(existing), client_id: clientId };
  const set: Record<string, unknown> = {};
  const removed: string[] = [];
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) {
      delete merged[name];
      removed.push(name);
    } else if (value !== undefined) {
      merged[name] = value;
      set[name] = value;
    }
  }
  assertNoProblems(clientProblems(merged, '', { exists: true, providers: await identityProviderNames(store) }));
  // The merged record was checked against the read above: written only if that read is still current. A caller
  // holding its own read (If-Match) gets the store's VersionConflictError; a change between this function's own
  // read and write is a conflict to retry.
  let updated: Client | undefined;
  try {
    updated = await store.clients.update(clientId, { ...clientSettingsReset(removed, opts.defaults), ...clientSettingsPatch(set, opts.defaults) }, { ifVersion: cond.ifVersion ?? existing.version });
  } catch (err) {
    if (err instanceof VersionConflictError && cond.ifVersion === undefined) throw new AdminConflictError(`client ${clientId} was changed by another writer meanwhile; retry`);
    throw err;
  }
  if (!updated) throw new AdminNotFoundError(`no client ${clientId}`);
  recordAdminChange(opts.audit, { resource: 'client', action: 'update', id: clientId, fields: [...Object.keys(set), ...removed] });
  return updated;
}

/** Deletes a client; the store revokes its refresh tokens in the same transaction. `cond`: as for updateClient. */
export async function deleteClient(store: Store, clientId: string, cond: IfVersion = {}, audit?: AdminAudit): Promise<void> {
  if (!(await store.clients.delete(clientId, cond))) throw new AdminNotFoundError(`no client ${clientId}`);
  recordAdminChange(audit, { resource: 'client', action: 'delete', id: clientId });
}
