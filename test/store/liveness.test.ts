import { describe, expect, it } from 'vitest';
import { isLive } from '../../src/store/liveness.js';
import { isLive as rotationIsLive } from '../../src/store/sql/rotation/liveness.js';

describe('isLive (a refresh token or family already read)', () => {
  it('is live while active and before its end; dead at its end, after it, or with any other status', () => {
    expect(isLive({ status: 'active', expiresAt: 101 }, 100)).toBe(true);
    expect(isLive({ status: 'active', expiresAt: 100 }, 100)).toBe(false);
    expect(isLive({ status: 'active', expiresAt: 99 }, 100)).toBe(false);
    for (const status of ['revoked', 'rotated', 'ACTIVE', '']) expect(isLive({ status, expiresAt: 1_000 }, 100), status).toBe(false);
  });

  it('is the rule the rotation statements render (one function, re-exported)', () => {
    expect(rotationIsLive).toBe(isLive);
  });
});
