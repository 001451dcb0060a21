import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../../src/redis/circuit-breaker.js';

/** The breaker's state machine: closed -> open after N timeouts in a row -> half-open probe -> closed or open. */
describe('CircuitBreaker', () => {
  let events: string[];
  let probes: Array<{ resolve: () => void; reject: () => void }>;
  let breaker: CircuitBreaker;

  beforeEach(() => {
    vi.useFakeTimers();
    events = [];
    probes = [];
    breaker = new CircuitBreaker(
      { threshold: 3, probeIntervalMs: 1000 },
      () => new Promise<void>((resolve, reject) => probes.push({ resolve, reject: () => reject(new Error('timed out')) })),
      { opened: (n) => events.push(`opened after ${n}`), closed: () => events.push('closed') },
    );
  });
  afterEach(() => {
    breaker.stop();
    vi.useRealTimers();
  });

  it('opens after the threshold of timeouts in a row, probes in the background and closes when a probe answers', async () => {
    breaker.timedOut();
    breaker.timedOut();
    expect(breaker.state).toBe('closed');
    breaker.timedOut();
    expect(breaker.state).toBe('open');
    expect(breaker.isClosed).toBe(false);
    expect(breaker.openedAt).toBeTypeOf('number');
    expect(events).toEqual(['opened after 3']);
    // Further timeouts while open change nothing and log nothing.
    breaker.timedOut();
    expect(events).toEqual(['opened after 3']);

    expect(probes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(probes).toHaveLength(1);
    expect(breaker.state).toBe('half-open');
    expect(breaker.isClosed).toBe(false);

    probes[0]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(breaker.state).toBe('closed');
    expect(breaker.openedAt).toBeUndefined();
    expect(events).toEqual(['opened after 3', 'closed']);
    // Closed again: the count starts over.
    breaker.timedOut();
    breaker.timedOut();
    expect(breaker.state).toBe('closed');
  });

  it('a failed probe re-opens it and the next probe follows one interval later', async () => {
    for (let i = 0; i < 3; i++) breaker.timedOut();
    await vi.advanceTimersByTimeAsync(1000);
    probes[0]!.reject();
    await vi.advanceTimersByTimeAsync(0);
    expect(breaker.state).toBe('open');
    await vi.advanceTimersByTimeAsync(999);
    expect(probes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(probes).toHaveLength(2);
    expect(breaker.state).toBe('half-open');
    probes[1]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(breaker.state).toBe('closed');
    expect(events).toEqual(['opened after 3', 'closed']);
  });

  it('an answer between timeouts resets the count: one slow command never opens it', () => {
    for (let i = 0; i < 10; i++) {
      breaker.timedOut();
      breaker.timedOut();
      breaker.answered();
    }
    expect(breaker.state).toBe('closed');
    expect(events).toEqual([]);
  });

  it('a probe that throws synchronously counts as a failed probe', async () => {
    const throwing = new CircuitBreaker({ threshold: 1, probeIntervalMs: 100 }, () => {
      throw new Error('not connected');
    }, { opened: () => undefined, closed: () => events.push('closed') });
    throwing.timedOut();
    await vi.advanceTimersByTimeAsync(350);
    expect(throwing.state).toBe('open');
    expect(events).toEqual([]);
    throwing.stop();
  });

  it('reset() (a reconnect) closes it without an event and cancels the pending probe', async () => {
    for (let i = 0; i < 3; i++) breaker.timedOut();
    breaker.reset();
    expect(breaker.state).toBe('closed');
    await vi.advanceTimersByTimeAsync(5000);
    expect(probes).toHaveLength(0);
    expect(events).toEqual(['opened after 3']);
  });

  it('stop() ends probing', async () => {
    for (let i = 0; i < 3; i++) breaker.timedOut();
    breaker.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(probes).toHaveLength(0);
  });
});
