import { describe, expect, it } from 'vitest';
import { RecordCache } from '../../src/oauth/cache.js';

describe('RecordCache', () => {
  it('loads once and serves hits from memory', async () => {
    const c = new RecordCache<string>();
    let loads = 0;
    const load = async (k: string) => (loads++, `v-${k}`);
    expect(await c.get('a', load)).toBe('v-a');
    expect(await c.get('a', load)).toBe('v-a');
    expect(loads).toBe(1);
  });

  it('peek returns a cached record without loading, undefined otherwise', async () => {
    const c = new RecordCache<string>();
    expect(c.peek('a')).toBeUndefined();
    await c.get('a', async () => 'v-a');
    expect(c.peek('a')).toBe('v-a');
    c.invalidate('a');
    expect(c.peek('a')).toBeUndefined();
  });

  it('collapses concurrent loads of one key', async () => {
    const c = new RecordCache<string>();
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = async (k: string) => {
      loads++;
      await gate;
      return k;
    };
    const all = Promise.all([c.get('x', load), c.get('x', load), c.get('x', load)]);
    release();
    expect(await all).toEqual(['x', 'x', 'x']);
    expect(loads).toBe(1);
  });

  it('does not cache misses', async () => {
    const c = new RecordCache<string>();
    let loads = 0;
    const load = async () => (loads++, undefined);
    await c.get('m', load);
    await c.get('m', load);
    expect(loads).toBe(2);
  });

  it('invalidate drops the entry so the next get reloads', async () => {
    const c = new RecordCache<number>();
    let v = 1;
    const load = async () => v;
    expect(await c.get('k', load)).toBe(1);
    v = 2;
    c.invalidate('k');
    expect(await c.get('k', load)).toBe(2);
  });

  it('an invalidation racing a load wins: the possibly stale value is not cached', async () => {
    const c = new RecordCache<number>();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let v = 1;
    const pending = c.get('k', async () => {
      const seen = v;
      await gate;
      return seen;
    });
    v = 2;
    c.invalidate('k');
    release();
    expect(await pending).toBe(1);
    expect(c.size).toBe(0);
    expect(await c.get('k', async () => v)).toBe(2);
  });

  it('load errors propagate and are not cached', async () => {
    const c = new RecordCache<number>();
    await expect(c.get('e', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await c.get('e', async () => 5)).toBe(5);
  });

  it('is bounded: the oldest entry goes first', async () => {
    const c = new RecordCache<string>(2);
    await c.get('a', async () => 'a');
    await c.get('b', async () => 'b');
    await c.get('c', async () => 'c');
    expect(c.size).toBe(2);
    let reloaded = false;
    await c.get('a', async () => ((reloaded = true), 'a'));
    expect(reloaded).toBe(true);
  });

  it('clear empties it', async () => {
    const c = new RecordCache<string>();
    await c.get('a', async () => 'a');
    c.clear();
    expect(c.size).toBe(0);
  });
});
