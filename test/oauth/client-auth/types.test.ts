import { describe, expect, it } from 'vitest';
import { whenReady } from '../../../src/oauth/client-auth/types.js';

describe('whenReady', () => {
  it('applies the continuation at once to a plain value', () => {
    expect(whenReady(2, (v) => v * 3)).toBe(6);
  });

  it('chains on a promise', async () => {
    const out = whenReady(Promise.resolve(2), (v) => v * 3);
    expect(out).toBeInstanceOf(Promise);
    expect(await out).toBe(6);
  });

  it('a throwing continuation throws synchronously for a value and rejects for a promise', async () => {
    const boom = (): never => {
      throw new Error('boom');
    };
    expect(() => whenReady(1, boom)).toThrow('boom');
    await expect(whenReady(Promise.resolve(1), boom)).rejects.toThrow('boom');
    await expect(whenReady(Promise.reject(new Error('first')), boom)).rejects.toThrow('first');
  });
});
