import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyRing } from '../../src/keys/key-ring.js';
import { generateSigningKey } from '../../src/keys/generate.js';
import { KeyRotationScheduler, type RotationPolicy } from '../../src/keys/rotation-schedule.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/types.js';

let dir: string;
let store: Store;
const master = randomBytes(32);
let clock: number;
type Emitted = { type: string; actor: unknown; details: Record<string, unknown> };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-rotation-'));
  store = await openSqliteStore(join(dir, 't.db'));
  clock = Math.floor(Date.now() / 1000);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const policy: RotationPolicy = { rotateEvery: 100, prePublish: 10, publishFor: 60, alg: 'ES256', masterKey: master };

/** A node: its own ring (same store) and scheduler, reading the shared fake clock. */
async function node(p: RotationPolicy = policy) {
  const ring = new KeyRing(store, master, undefined, () => clock);
  await ring.init('ES256');
  const events: Emitted[] = [];
  const scheduler = new KeyRotationScheduler(store, ring, p, { emit: (e) => events.push(e) }, () => clock);
  return { ring, scheduler, events };
}

const kidsOf = (ring: KeyRing) => (JSON.parse(ring.jwks) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);

describe('KeyRotationScheduler', () => {
  it('publishes the next key rotateEvery - prePublish after the current one activated, activates it prePublish later, retires the old one', async () => {
    const { ring, scheduler, events } = await node();
    const first = ring.active.kid;
    const start = clock;
    const list = vi.spyOn(store.keys, 'list');
    clock = start + 89;
    await scheduler.tick();
    expect(list, 'an idle tick reads nothing').not.toHaveBeenCalled();
    expect((await store.keys.list()).length).toBe(1);

    clock = start + 90;
    await scheduler.tick();
    const keys = await store.keys.list();
    const pending = keys.find((k) => k.status === 'pending')!;
    expect(pending).toMatchObject({ activatesAt: start + 100, createdAt: start + 90 });
    expect(kidsOf(ring)).toContain(pending.kid);
    expect(ring.active.kid).toBe(first);
    expect(events).toEqual([{ type: 'key.rotated', actor: { kind: 'system', id: 'scheduler' }, details: { kid: pending.kid, alg: 'ES256', stage: 'published', activates_at: new Date((start + 100) * 1000).toISOString() } }]);

    clock = start + 99;
    await scheduler.tick();
    expect(ring.active.kid).toBe(first);
    clock = start + 100;
    // The ring switches by its clock, before the scheduler's tick marks the key active in the store.
    expect(ring.active.kid).toBe(pending.kid);
    await scheduler.tick();
    const after = new Map((await store.keys.list()).map((k) => [k.kid, k]));
    expect(after.get(pending.kid)!.status).toBe('active');
    expect(after.get(first)).toMatchObject({ status: 'retired', retiredAt: start + 100, publishUntil: start + 160 });
    expect(events.slice(1)).toEqual([
      { type: 'key.rotated', actor: { kind: 'system', id: 'scheduler' }, details: { kid: pending.kid, alg: 'ES256', stage: 'activated', activated_at: new Date((start + 100) * 1000).toISOString(), retired: [first] } },
      { type: 'key.retired', actor: { kind: 'system', id: 'scheduler' }, details: { kid: first, alg: 'ES256', published_until: new Date((start + 160) * 1000).toISOString() } },
    ]);

    // The retired key stays published until its last token expires, then leaves.
    clock = start + 160;
    expect(kidsOf(ring)).toContain(first);
    clock = start + 161;
    expect(kidsOf(ring)).not.toContain(first);
    // The next rotation counts from the new key's activation.
    clock = start + 189;
    await scheduler.tick();
    expect((await store.keys.list()).some((k) => k.status === 'pending')).toBe(false);
    clock = start + 190;
    await scheduler.tick();
    expect((await store.keys.list()).find((k) => k.status === 'pending')?.activatesAt).toBe(start + 200);
  });

  it('two nodes ticking at the same moments perform each step once', async () => {
    const a = await node();
    const b = await node();
    const start = clock;
    for (let t = start; t <= start + 400; t += 5) {
      clock = t;
      await Promise.all([a.scheduler.tick(), b.scheduler.tick()]);
      expect(a.ring.active.kid).toBe(b.ring.active.kid);
    }
    const keys = await store.keys.list();
    // Rotations at +100, +200, +300, +400: four new keys, each activated rotateEvery after the previous.
    const activations = keys.map((k) => k.activatesAt ?? k.createdAt).sort((x, y) => x - y);
    expect(activations).toEqual([start, start + 100, start + 200, start + 300, start + 400]);
    const stages = [...a.events, ...b.events].filter((e) => e.type === 'key.rotated').map((e) => e.details.stage);
    expect(stages.filter((s) => s === 'published')).toHaveLength(4);
    expect(stages.filter((s) => s === 'activated')).toHaveLength(4);
    expect([...a.events, ...b.events].filter((e) => e.type === 'key.retired')).toHaveLength(4);
  });

  it('without rotateEvery it publishes nothing, yet activates a key already pending', async () => {
    const { ring, scheduler } = await node({ ...policy, rotateEvery: null });
    clock += 10_000;
    await scheduler.tick();
    expect(await store.keys.list()).toHaveLength(1);
    // Published while rotation was on (another node's config, or before a restart without it).
    const pending = await store.keys.insertNextIfDue(await generateSigningKey('ES256', master), { now: clock, activatesAt: clock + 5, dueBefore: clock });
    await ring.reload();
    clock += 5;
    await scheduler.tick();
    expect((await store.keys.list()).find((k) => k.kid === pending!.kid)?.status).toBe('active');
    clock += 10_000;
    await scheduler.tick();
    expect(await store.keys.list()).toHaveLength(2);
  });

  it('a store failure rejects the tick and leaves the schedule to the next one', async () => {
    const { scheduler } = await node();
    clock += 90;
    const spy = vi.spyOn(store.keys, 'insertNextIfDue').mockRejectedValueOnce(new Error('database down'));
    await expect(scheduler.tick()).rejects.toThrow('database down');
    spy.mockRestore();
    await scheduler.tick();
    expect((await store.keys.list()).filter((k) => k.status === 'pending')).toHaveLength(1);
  });

  it('ticks a quarter of prePublish apart, between 200 ms and a minute', () => {
    expect(KeyRotationScheduler.intervalMs(1)).toBe(250);
    expect(KeyRotationScheduler.intervalMs(0)).toBe(200);
    expect(KeyRotationScheduler.intervalMs(3600)).toBe(60_000);
  });
});
