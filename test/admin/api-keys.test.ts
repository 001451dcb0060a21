import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addApiKey, listApiKeys, removeApiKey } from '../../src/admin/api-keys.js';
import { createClient } from '../../src/admin/clients.js';
import { AdminConflictError, AdminNotFoundError, AdminValidationError } from '../../src/admin/problems.js';
import { useTempStore } from '../support/temp-store.js';

const s = useTempStore();
const KEY = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const opts = { masterKey: randomBytes(32), defaults: { accessTokenTtl: 600 } };

describe('API keys', () => {
  it('adds a key normalised, once; another client cannot take it; removes it', async () => {
    for (const id of ['a', 'b']) await createClient(s.store, { client_id: id, token_endpoint_auth_method: 'request_signature' }, opts);
    expect(await addApiKey(s.store, 'a', KEY.toUpperCase())).toMatchObject({ publicKey: KEY, clientId: 'a', kind: 'ed25519' });
    expect((await addApiKey(s.store, 'a', KEY)).publicKey).toBe(KEY);
    expect(await listApiKeys(s.store, 'a')).toHaveLength(1);
    await expect(addApiKey(s.store, 'b', KEY)).rejects.toBeInstanceOf(AdminConflictError);
    await expect(removeApiKey(s.store, 'b', KEY)).rejects.toThrow('client b has no such key');
    expect(await removeApiKey(s.store, 'a', KEY.toUpperCase())).toBe(KEY);
    expect(await listApiKeys(s.store, 'a')).toEqual([]);
  });

  it('refuses what is not a key, and a client that does not exist', async () => {
    await createClient(s.store, { client_id: 'a', token_endpoint_auth_method: 'request_signature' }, opts);
    await expect(addApiKey(s.store, 'a', 'abcd')).rejects.toThrow(AdminValidationError);
    await expect(addApiKey(s.store, 'nope', KEY)).rejects.toBeInstanceOf(AdminNotFoundError);
  });
});
