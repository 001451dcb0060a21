import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clientBySecret } from '../../../src/oauth/client-auth/client-secret.js';
import { applyImportDocument } from '../../../src/admin/import-apply.js';
import { startTestServer, type TestServer } from '../../support/server.js';

/** The secret check shared by client_secret_basic and client_secret_post, against a real store and context. */
const SECRET = 'client-secret-test-secret';
const IP = '192.0.2.1';
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
    expect((await clientBySecret(s.ctx, 'svc', SECRET, 'client_secret_basic', IP))?.clientId).toBe('svc');
    const reads = vi.spyOn(s.ctx.store.clients, 'get');
    const kdf = vi.spyOn(s.ctx.secrets, 'verify');
    try {
      for (let i = 0; i < 3; i++) expect((await clientBySecret(s.ctx, 'svc', SECRET, 'client_secret_post', IP))?.clientId).toBe('svc');
      expect(reads).not.toHaveBeenCalled();
      expect(kdf).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
      kdf.mockRestore();
    }
  });

  it('answers synchronously (no promise) once the client is cached and the secret remembered', async () => {
    expect(await clientBySecret(s.ctx, 'svc', SECRET, 'client_secret_basic', IP)).toBeDefined();
    const hit = clientBySecret(s.ctx, 'svc', SECRET, 'client_secret_basic', IP);
    expect(hit).not.toBeInstanceOf(Promise);
    expect((hit as { clientId: string }).clientId).toBe('svc');
    // Remembered secret, but the method is not allowed: still decided at once, and refused.
    expect(clientBySecret(s.ctx, 'svc', SECRET, 'private_key_jwt', IP)).toBeUndefined();
    const miss = clientBySecret(s.ctx, 'svc', 'wrong', 'client_secret_basic', IP);
    expect(miss).toBeInstanceOf(Promise);
    expect(await miss).toBeUndefined();
  });

  it('after a failure, a remembered secret asks the throttle: accepted from an address that has not failed, refused from one being throttled', async () => {
    const attacker = '192.0.2.66';
    expect(await clientBySecret(s.ctx, 'svc', SECRET, 'client_secret_basic', IP)).toBeDefined();
    const free = s.config.clientAuthThrottle.freeAttempts;
    for (let i = 0; i <= free; i++) expect(await clientBySecret(s.ctx, 'svc', `guess-${i}`, 'client_secret_basic', attacker)).toBeUndefined();
    expect(s.ctx.limits.clientAuth.quiet('svc')).toBe(false);
    // The right secret from the attacker's address is refused like a wrong one: no oracle while throttled.
    await expect(clientBySecret(s.ctx, 'svc', SECRET, 'client_secret_basic', attacker)).rejects.toMatchObject({ code: 'too_many_requests', status: 429 });
    await expect(clientBySecret(s.ctx, 'svc', 'another-guess', 'client_secret_basic', attacker)).rejects.toMatchObject({ code: 'too_many_requests' });
    // The client itself, elsewhere, is not slowed: its remembered secret still answers (after a throttle look-up).
    const own = clientBySecret(s.ctx, 'svc', SECRET, 'client_secret_basic', IP);
    expect(own).toBeInstanceOf(Promise);
    expect((await own)?.clientId).toBe('svc');
  });

  it('refuses a wrong secret every time, even for a cached client whose right secret is remembered', async () => {
    await clientBySecret(s.ctx, 'svc', SECRET, 'client_secret_basic', IP);
    expect(await clientBySecret(s.ctx, 'svc', `${SECRET}x`, 'client_secret_basic', IP)).toBeUndefined();
    expect(await clientBySecret(s.ctx, 'svc', '', 'client_secret_basic', IP)).toBeUndefined();
  });

  it('refuses unknown, disabled and secretless clients, and a client registered for another method', async () => {
    expect(await clientBySecret(s.ctx, 'nobody', SECRET, 'client_secret_basic', IP)).toBeUndefined();
    expect(await clientBySecret(s.ctx, 'off', SECRET, 'client_secret_basic', IP)).toBeUndefined();
    expect(await clientBySecret(s.ctx, 'pub', SECRET, 'client_secret_post', IP)).toBeUndefined();
    expect(await clientBySecret(s.ctx, 'jwt-only', SECRET, 'client_secret_basic', IP)).toBeUndefined();
  });
});
