import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyRing } from '../../src/keys/key-ring.js';
import { KidLookupBudget } from '../../src/keys/kid-lookup.js';
import { generateSigningKey } from '../../src/keys/generate.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/types.js';

let dir: string;
let store: Store;
const master = randomBytes(32);
const now = () => Math.floor(Date.now() / 1000);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-ring-'));
  store = await openSqliteStore(join(dir, 't.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('KeyRing', () => {
  it('creates the first key on init, once', async () => {
    const ring = new KeyRing(store, master);
    expect(await ring.init('EdDSA')).toBe(true);
    expect(ring.active.alg).toBe('EdDSA');
    expect(await new KeyRing(store, master).init('ES256')).toBe(false);
    expect((await store.keys.list()).length).toBe(1);
  });

  it('publishes only public parts in the JWKS', async () => {
    const ring = new KeyRing(store, master);
    await ring.init('RS256');
    const jwks = JSON.parse(ring.jwks) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: ring.active.kid });
  });

  it('rotation: the new key signs, the retired one stays until publishUntil, then leaves', async () => {
    const ring = new KeyRing(store, master);
    await ring.init('ES256');
    const first = ring.active.kid;
    const next = await store.keys.rotate(await generateSigningKey('EdDSA', master), now() + 100);
    await ring.reload();
    expect(ring.active.kid).toBe(next.kid);
    expect(ring.get(first)).toBeDefined();
    expect(ring.algorithms.sort()).toEqual(['ES256', 'EdDSA']);
    expect((JSON.parse(ring.jwks) as { keys: unknown[] }).keys).toHaveLength(2);

    const third = await store.keys.rotate(await generateSigningKey('ES256', master), now() - 1);
    await ring.reload();
    expect(ring.active.kid).toBe(third.kid);
    // Both earlier keys now carry a past publishUntil (rotate retires every active key; the first kept its own window).
    const kids = (JSON.parse(ring.jwks) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    expect(kids).toContain(third.kid);
    expect(kids).not.toContain(next.kid);
    expect(kids).toContain(first);
    expect(await store.keys.deleteExpired(now())).toBe(1);
  });

  it('a ring with the wrong master key cannot load the keys', async () => {
    await new KeyRing(store, master).init('ES256');
    await expect(new KeyRing(store, randomBytes(32)).init('ES256')).rejects.toThrow(/master key/);
  });

  it('using the ring before init() fails clearly', () => {
    expect(() => new KeyRing(store, master).active).toThrow(/init/);
  });

  it('lookup(): a key rotated in by another process is found with one store read, shared by concurrent callers', async () => {
    const ring = new KeyRing(store, master);
    await ring.init('ES256');
    // Another process rotates; this ring has not reloaded (its change feed has not told it yet).
    const next = await store.keys.rotate(await generateSigningKey('ES256', master), now() + 100);
    expect(ring.get(next.kid)).toBeUndefined();
    const list = vi.spyOn(store.keys, 'list');
    const answers = await Promise.all(Array.from({ length: 50 }, () => ring.lookup(next.kid)));
    expect(answers).toEqual(Array(50).fill(true));
    expect(list).toHaveBeenCalledTimes(1);
    expect(ring.get(next.kid)?.kid).toBe(next.kid);
    expect(ring.active.kid).toBe(next.kid);
    // Known now: no further reads.
    expect(await ring.lookup(next.kid)).toBe(true);
    expect(list).toHaveBeenCalledTimes(1);
  });

  it('lookup(): unknown kids cost at most the budget in store reads, and a read failure is "not found"', async () => {
    let clock = 0;
    const ring = new KeyRing(store, master, new KidLookupBudget({ perKidIntervalMs: 10_000, maxPerSecond: 2 }, () => clock));
    await ring.init('ES256');
    const list = vi.spyOn(store.keys, 'list');
    const answers = await Promise.all(['x', 'y', 'z', 'x', 'w'].map((kid) => ring.lookup(kid) ?? 'refused'));
    // x and y are read (x's second ask shares x's read); z and w are over this second's budget.
    expect(answers).toEqual([false, false, 'refused', false, 'refused']);
    expect(list).toHaveBeenCalledTimes(2);
    clock += 1000;
    expect(ring.lookup('x')).toBeUndefined(); // once per 10 s per kid
    list.mockRejectedValueOnce(new Error('database down'));
    expect(await ring.lookup('z')).toBe(false);
    expect(ring.get(ring.active.kid)).toBeDefined(); // a failed read leaves the ring as it was
  });

  it('a pending key is published before it signs, and signs from its activation time without a reload', async () => {
    let clock = now();
    const ring = new KeyRing(store, master, undefined, () => clock);
    await ring.init('ES256');
    const first = ring.active.kid;
    const pending = await store.keys.insertNextIfDue(await generateSigningKey('EdDSA', master), { now: clock, activatesAt: clock + 10, dueBefore: clock + 1 });
    expect(pending).toBeDefined();
    await ring.reload();
    const list = vi.spyOn(store.keys, 'list');
    // Published: in the JWKS and verifiable, but the first key still signs.
    expect((JSON.parse(ring.jwks) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid).sort()).toEqual([first, pending!.kid].sort());
    expect(ring.get(pending!.kid)).toBeDefined();
    expect(ring.active.kid).toBe(first);
    expect(ring.schedule).toEqual({ currentActivation: expect.any(Number), pendingActivation: clock + 10 });
    clock += 9;
    expect(ring.active.kid).toBe(first);
    clock += 1;
    expect(ring.active.kid).toBe(pending!.kid);
    expect(ring.schedule.currentActivation).toBe(clock);
    // The switch needed no store read.
    expect(list).not.toHaveBeenCalled();
  });

  it('a retired key leaves the JWKS once its publication ends, without a reload', async () => {
    let clock = now();
    const ring = new KeyRing(store, master, undefined, () => clock);
    await ring.init('ES256');
    const first = ring.active.kid;
    await store.keys.rotate(await generateSigningKey('ES256', master), clock + 5);
    await ring.reload();
    const kids = () => (JSON.parse(ring.jwks) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    expect(kids()).toContain(first);
    clock += 5;
    expect(kids()).toContain(first); // published until (and including) publishUntil
    expect(ring.get(first)).toBeDefined();
    clock += 1;
    expect(kids()).not.toContain(first);
    expect(ring.get(first)).toBeUndefined();
    expect(kids()).toHaveLength(1);
  });

  it('an active key signs even if this node\'s clock is behind its activation time (activated by a node a second ahead)', async () => {
    let clock = now();
    const ring = new KeyRing(store, master, undefined, () => clock);
    await ring.init('ES256');
    await store.keys.insertNextIfDue(await generateSigningKey('ES256', master), { now: clock, activatesAt: clock + 2, dueBefore: clock + 1 });
    const done = await store.keys.activateDue(clock + 2, 60);
    await ring.reload();
    expect(ring.active.kid).toBe(done!.activated.kid);
    clock += 5;
    expect(ring.active.kid).toBe(done!.activated.kid);
  });
});
