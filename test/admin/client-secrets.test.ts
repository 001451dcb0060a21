import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient, getClient } from '../../src/admin/clients.js';
import { removeClientSecret, rotateClientSecret } from '../../src/admin/client-secrets.js';
import { describeSecrets } from '../../src/admin/client-secret-view.js';
import { formatDuration, parseDuration } from '../../src/admin/duration.js';
import { AdminConflictError, AdminNotFoundError, AdminValidationError } from '../../src/admin/problems.js';
import { verifySecret } from '../../src/crypto/password-hash.js';
import { secretId } from '../../src/crypto/secret-id.js';
import { unsealClientSecret } from '../../src/keys/client-secret.js';
import { SecretUsage } from '../../src/oauth/client-auth/secret-usage.js';
import { useTempStore } from '../support/temp-store.js';

const s = useTempStore();
const opts = { masterKey: randomBytes(32), defaults: { accessTokenTtl: 600 } };
const now = () => Math.floor(Date.now() / 1000);

describe('parseDuration', () => {
  it('reads seconds, s, m, h and d; refuses anything else', () => {
    expect([3600, '90', '90s', '15m', '24h', '30d', ' 2h '].map(parseDuration)).toEqual([3600, 90, 90, 900, 86_400, 2_592_000, 7200]);
    for (const bad of ['', 'h', '1w', '-1h', '1.5h', '1h30m', 1.5, -1, null, true, {}]) expect(parseDuration(bad)).toBeUndefined();
    expect([86_400, 7200, 120, 61].map(formatDuration)).toEqual(['1d', '2h', '2m', '61s']);
  });
});

describe('rotateClientSecret with keepOldFor', () => {
  it('moves the current secret (hash, sealed copy, last use) to the kept slot with the overlap as its expiry', async () => {
    const { secret: old } = await createClient(s.store, { client_id: 'hmac', token_endpoint_auth_method: 'client_secret_jwt' }, opts);
    const before = await getClient(s.store, 'hmac');
    await s.store.clients.recordSecretUse('hmac', before.secretHash!, 1234);
    const rotated = await rotateClientSecret(s.store, 'hmac', opts.masterKey, { keepOldFor: '2h' });
    const c = await getClient(s.store, 'hmac');
    expect(c.previousSecretHash).toBe(before.secretHash);
    expect(unsealClientSecret(opts.masterKey, 'hmac', c.previousSecretEncrypted!).toString()).toBe(old);
    expect(unsealClientSecret(opts.masterKey, 'hmac', c.secretEncrypted!).toString()).toBe(rotated.secret);
    expect(await verifySecret(c.secretHash!, rotated.secret)).toBe(true);
    expect(c.previousSecretExpiresAt! - now()).toBeGreaterThan(7190);
    expect(c).toMatchObject({ previousSecretLastUsedAt: 1234, secretLastUsedAt: null, secretExpiresAt: null });
    expect(rotated).toMatchObject({ secretId: secretId(c.secretHash!), kept: { secretId: secretId(before.secretHash!), expiresAt: c.previousSecretExpiresAt } });
    expect(describeSecrets(c).map((v) => [v.secret_id, v.current, v.last_used_at])).toEqual([
      [rotated.secretId, true, null],
      [rotated.kept!.secretId, false, new Date(1234_000).toISOString()],
    ]);
  });

  it('never keeps a secret beyond its own expiry, and keeps nothing when the current secret has already expired', async () => {
    await createClient(s.store, { client_id: 'short' }, opts);
    await s.store.clients.update('short', { secretExpiresAt: now() + 60 });
    const r = await rotateClientSecret(s.store, 'short', opts.masterKey, { keepOldFor: '1d' });
    expect(r.kept!.expiresAt).toBeLessThanOrEqual(now() + 60);
    await s.store.clients.update('short', { secretExpiresAt: now() - 1, previousSecretHash: null });
    const again = await rotateClientSecret(s.store, 'short', opts.masterKey, { keepOldFor: '1d' });
    expect(again.kept).toBeUndefined();
    expect((await getClient(s.store, 'short')).previousSecretHash).toBeNull();
  });

  it('refuses a third secret while the kept one is live, but replaces a kept one that has expired', async () => {
    await createClient(s.store, { client_id: 'app' }, opts);
    const first = await rotateClientSecret(s.store, 'app', opts.masterKey, { keepOldFor: 3600 });
    const err = await rotateClientSecret(s.store, 'app', opts.masterKey, { keepOldFor: 3600 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdminConflictError);
    expect((err as Error).message).toContain(first.kept!.secretId);
    await s.store.clients.update('app', { previousSecretExpiresAt: now() - 1 });
    const second = await rotateClientSecret(s.store, 'app', opts.masterKey, { keepOldFor: 3600 });
    expect(second.kept!.secretId).toBe(first.secretId);
  });

  it('refuses a bad duration as a validation problem, before touching anything', async () => {
    await createClient(s.store, { client_id: 'app' }, opts);
    const before = await getClient(s.store, 'app');
    for (const keep of ['tomorrow', 91 * 86_400, '1.5h']) {
      const err = await rotateClientSecret(s.store, 'app', opts.masterKey, { keepOldFor: keep }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AdminValidationError);
      expect((err as AdminValidationError).problems.map((p) => p.path)).toEqual(['keep_old_for']);
    }
    expect((await getClient(s.store, 'app')).secretHash).toBe(before.secretHash);
  });
});

describe('removeClientSecret', () => {
  it('removes the kept secret only; the current one is a conflict, an unknown id not found', async () => {
    await createClient(s.store, { client_id: 'app' }, opts);
    const r = await rotateClientSecret(s.store, 'app', opts.masterKey, { keepOldFor: '1h' });
    await expect(removeClientSecret(s.store, 'app', r.secretId)).rejects.toBeInstanceOf(AdminConflictError);
    await expect(removeClientSecret(s.store, 'app', 'ffffffff')).rejects.toBeInstanceOf(AdminNotFoundError);
    await expect(removeClientSecret(s.store, 'ghost', r.kept!.secretId)).rejects.toBeInstanceOf(AdminNotFoundError);
    const c = await removeClientSecret(s.store, 'app', r.kept!.secretId);
    expect(c).toMatchObject({ previousSecretHash: null, previousSecretEncrypted: null, previousSecretExpiresAt: null });
    await expect(removeClientSecret(s.store, 'app', r.kept!.secretId)).rejects.toBeInstanceOf(AdminNotFoundError);
  });
});

describe('SecretUsage', () => {
  it('flushes each secret’s last use to its slot once, and again only after a newer use; snapshot is per client and secret id', async () => {
    await createClient(s.store, { client_id: 'app' }, opts);
    const r = await rotateClientSecret(s.store, 'app', opts.masterKey, { keepOldFor: '1h' });
    const c = await getClient(s.store, 'app');
    const usage = new SecretUsage();
    const calls: number[] = [];
    const clients = { recordSecretUse: async (id: string, hash: string, at: number) => (calls.push(at), s.store.clients.recordSecretUse(id, hash, at)) };
    const kept = usage.entry('app', c.previousSecretHash!);
    kept.uses += 2;
    kept.lastUsedAt = 2000;
    usage.entry('app', c.secretHash!);
    expect(usage.snapshot()).toEqual({ app: { [r.kept!.secretId]: { uses: 2, last_used_at: 2000 } } });
    await usage.flush(clients);
    await usage.flush(clients);
    expect(calls).toEqual([2000]);
    expect((await getClient(s.store, 'app')).previousSecretLastUsedAt).toBe(2000);
    kept.lastUsedAt = 2500;
    await usage.flush(clients);
    expect((await getClient(s.store, 'app')).previousSecretLastUsedAt).toBe(2500);
    // A failed write is retried on the next flush.
    kept.lastUsedAt = 3000;
    await expect(usage.flush({ recordSecretUse: () => Promise.reject(new Error('down')) })).rejects.toThrow('down');
    await usage.flush(clients);
    expect((await getClient(s.store, 'app')).previousSecretLastUsedAt).toBe(3000);
  });
});
