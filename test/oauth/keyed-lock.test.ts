import { describe, expect, it } from 'vitest';
import { KeyedLock } from '../../src/oauth/keyed-lock.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('KeyedLock', () => {
  it('runs work for one key one at a time, in arrival order, and different keys side by side', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const job = (key: string, name: string) =>
      lock.run(key, async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
        running--;
        return name;
      });
    const results = await Promise.all([job('a', 'a1'), job('a', 'a2'), job('a', 'a3')]);
    expect(results).toEqual(['a1', 'a2', 'a3']);
    expect(log).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
    expect(maxRunning).toBe(1);
    maxRunning = 0;
    await Promise.all([job('x', 'x1'), job('y', 'y1')]);
    expect(maxRunning).toBe(2);
    expect(lock.size).toBe(0);
  });

  it('passes failures to the caller and keeps the queue moving', async () => {
    const lock = new KeyedLock();
    const failing = lock.run('k', async () => {
      throw new Error('boom');
    });
    const next = lock.run('k', async () => 'next');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
    expect(lock.size).toBe(0);
  });
});
