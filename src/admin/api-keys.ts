import type { ApiKey, Store } from '../store/types.js';
import { parseApiPublicKey } from '../oauth/client-auth/request-signature/index.js';
import { API_KEY_PROBLEM } from './client-rules.js';
import { AdminConflictError, AdminNotFoundError, AdminValidationError } from './problems.js';
import { recordAdminChange, type AdminAudit } from './audit.js';

/**
 * API keys: the public keys a request_signature client signs with (Cobo's Biz-Api-Key, docs/compatibility.md).
 * A key belongs to exactly one client; it is stored normalised (lower-case hex) and typed by its length.
 */
type ApiKeyStores = Pick<Store, 'clients' | 'apiKeys'>;

/** Registers a key for a client; adding a key the client already has changes nothing. */
export async function addApiKey(store: ApiKeyStores, clientId: string, hex: string, audit?: AdminAudit): Promise<ApiKey> {
  if (!(await store.clients.get(clientId))) throw new AdminNotFoundError(`no client ${clientId}`);
  const parsed = parseApiPublicKey(hex);
  if (!parsed) throw new AdminValidationError([{ path: '', message: API_KEY_PROBLEM }]);
  const have = await store.apiKeys.get(parsed.normalizedHex);
  if (have && have.clientId !== clientId) throw new AdminConflictError(`API key ${parsed.normalizedHex.slice(0, 12)}... already belongs to another client`);
  if (have) return have;
  const added = await store.apiKeys.add({ publicKey: parsed.normalizedHex, clientId, kind: parsed.kind });
  recordAdminChange(audit, { resource: 'api_key', action: 'add', id: added.publicKey, clientId });
  return added;
}

export async function removeApiKey(store: ApiKeyStores, clientId: string, hex: string, audit?: AdminAudit): Promise<string> {
  const key = await store.apiKeys.get(hex.toLowerCase());
  if (!key || key.clientId !== clientId) throw new AdminNotFoundError(`client ${clientId} has no such key`);
  await store.apiKeys.remove(key.publicKey);
  recordAdminChange(audit, { resource: 'api_key', action: 'remove', id: key.publicKey, clientId });
  return key.publicKey;
}

export function listApiKeys(store: ApiKeyStores, clientId: string): Promise<ApiKey[]> {
  return store.apiKeys.listForClient(clientId);
}
