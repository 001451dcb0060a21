import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clientBySecret } from '../../../src/oauth/client-auth/client-secret.js';
import { applyImportDocument } from '../../../src/admin/import-apply.js';
import { startTestServer, type TestServer } from '../../support/server.js';

/** The secret check shared by client_secret_basic and client_secret_post, against a real store and context. */
const SECRET = 'client-secret-test-secret';
let s: TestServer;

const CLIENTS = [
  { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'jwt-only', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_jwt', grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'off', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', status: 'disabled' },
  { client_id: 'pub', token_endpoint_auth_method: 'none', grant_types: ['refresh_token'], scope: 'read' },
];

beforeAll(async () => {
  s = await startTestServer();
  // Import, then wait until the change follower has published every imported client, so no invalidation
  // arrives in the middle of a test.
  const pending = new Set(CLIENTS.map((c) => c.client_id));
  s.ctx.changes.subscribe('client', (key) => {
    pending.delete(key);
  });
  await applyImportDocument(s.ctx.store, { clients: CLIENTS }, { masterKey: s.masterKey.key, defaults: { accessTokenTtl: s.config.accessTokenTtl } });
  await vi.waitFor(() => expect(pending.size).toBe(0), { timeout: 10_000, interval: 20 });
});
afterAll(async () => s.stop());

describe('clientBySecret', () => {
  it('accepts the right secret, then decides from the caches: no store read, no KDF', async () => {
    expect((await clientBySecret(s.ctx, 'svc', SECRET, 'client_secret_basic'))?.clientId).toBe('svc');
    const reads = vi.spyOn(s.ctx.store.clients, 'get');
    const kdf = vi.spyOn(s.ctx.secrets, 'verify');
    try {
      for (let i = 0; i < 3; i++) expect((await clientBySecret(s.ctx, 'svc', SECRET, 'client_secret_post'))?.clientId).toBe('svc');
      expect(reads).not.toHaveBeenCalled();
      expect(kdf).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
      kdf.mockRestore();
    }
  });

  it('answers synchronously (no promise) once the client is cached and the secret remembered', async () => {
    expect(await clientBySecret(s.ctx, 'svc', SECRET, 'client_secret_basic')).toBeDefined();
    const hit = clientBySecret(s.ctx, 'svc', SECRET, 'client_secret_basic');
    expect(hit).not.toBeInstanceOf(Promise);
    expect((hit as { clientId: string }).clientId).toBe('svc');
    const miss = clientBySecret(s.ctx, 'svc', 'wrong', 'client_secret_basic');
    expect(miss).toBeInstanceOf(Promise);
    expect(await miss).toBeUndefined();
    // Remembered secret, but the method is not allowed: still decided at once, and refused.
    expect(clientBySecret(s.ctx, 'svc', SECRET, 'private_key_jwt')).toBeUndefined();
  });

  it('refuses a wrong secret every time, even for a cached client whose right secret is remembered', async () => {
    await clientBySecret(s.ctx, 'svc', SECRET, 'client_secret_basic');
    expect(await clientBySecret(s.ctx, 'svc', `${SECRET}x`, 'client_secret_basic')).toBeUndefined();
    expect(await clientBySecret(s.ctx, 'svc', '', 'client_secret_basic')).toBeUndefined();
  });

  it('refuses unknown, disabled and secretless clients, and a client registered for another method', async () => {
    expect(await clientBySecret(s.ctx, 'nobody', SECRET, 'client_secret_basic')).toBeUndefined();
    expect(await clientBySecret(s.ctx, 'off', SECRET, 'client_secret_basic')).toBeUndefined();
    expect(await clientBySecret(s.ctx, 'pub', SECRET, 'client_secret_post')).toBeUndefined();
    expect(await clientBySecret(s.ctx, 'jwt-only', SECRET, 'client_secret_basic')).toBeUndefined();
  });
});
