import { describe, expect, it } from 'vitest';
import { KidLookupBudget } from '../../src/keys/kid-lookup.js';

describe('KidLookupBudget', () => {
  it('admits a kid once per interval and at most maxPerSecond kids a second', () => {
    let now = 1_000_000;
    const budget = new KidLookupBudget({ perKidIntervalMs: 10_000, maxPerSecond: 3 }, () => now);
    expect(budget.admit('a')).toBe(true);
    expect(budget.admit('a')).toBe(false);
    expect(budget.admit('b')).toBe(true);
    expect(budget.admit('c')).toBe(true);
    // The second's budget is spent: a fourth kid waits for the next second.
    expect(budget.admit('d')).toBe(false);
    now += 1000;
    expect(budget.admit('d')).toBe(true);
    expect(budget.admit('a')).toBe(false);
    now += 9000;
    expect(budget.admit('a')).toBe(true);
  });

  it('refuses empty and overlong kids', () => {
    const budget = new KidLookupBudget();
    expect(budget.admit('')).toBe(false);
    expect(budget.admit('k'.repeat(129))).toBe(false);
    expect(budget.admit('k'.repeat(43))).toBe(true);
  });

  it('a flood of made-up kids stays within the cap and keeps the memory bounded', () => {
    let now = 0;
    const budget = new KidLookupBudget({ perKidIntervalMs: 10_000, maxPerSecond: 5 }, () => now);
    let admitted = 0;
    for (let i = 0; i < 100_000; i++) {
      now = Math.floor(i / 1000) * 1000; // 1,000 kids a second for 100 s
      if (budget.admit(`kid-${i}`)) admitted++;
    }
    expect(admitted).toBe(500);
    expect((budget as unknown as { lastTried: Map<string, number> }).lastTried.size).toBeLessThanOrEqual(200);
  });
});
