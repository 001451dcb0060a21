import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUserByUsername, getUser, normalizeUsername } from '../../src/oauth/users.js';
import { startTestServer, type TestServer } from '../support/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ doc: { users: [{ id: 'u-1', username: 'Ada' }] } });
});
afterAll(async () => s.stop());

const base = { passwordHash: null, status: 'active' as const, scope: null, email: null, emailVerified: false };

describe('user lookups through the per-process cache', () => {
  it('normalises like the store (case and NFKC)', () => {
    expect(normalizeUsername('ＡＤＡ')).toBe('ada');
    expect(normalizeUsername('Ada')).toBe('ada');
  });

  it('finds a user by any case of the name, from the cache after the first lookup', async () => {
    expect((await findUserByUsername(s.ctx, 'ADA'))?.id).toBe('u-1');
    expect(s.ctx.users.size).toBeGreaterThan(0);
    expect((await findUserByUsername(s.ctx, 'ａｄａ'))?.id).toBe('u-1');
    expect(await findUserByUsername(s.ctx, 'nobody')).toBeUndefined();
  });

  it('never serves a renamed or deleted-and-recreated user under the old name', async () => {
    await s.ctx.store.users.update('u-1', { username: 'Ada2' });
    s.ctx.users.invalidate('u-1');
    expect(await findUserByUsername(s.ctx, 'ada')).toBeUndefined();
    expect((await findUserByUsername(s.ctx, 'ada2'))?.id).toBe('u-1');
    await s.ctx.store.users.delete('u-1');
    s.ctx.users.invalidate('u-1');
    await s.ctx.store.users.create({ id: 'u-2', username: 'ADA2', ...base });
    expect((await findUserByUsername(s.ctx, 'ada2'))?.id).toBe('u-2');
    expect(await getUser(s.ctx, 'u-1')).toBeUndefined();
  });
});
