import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KdfGate, KdfRefusal, type KdfGateSettings } from '../../src/crypto/kdf-gate.js';

/** A KDF stand-in the test finishes by hand; `started` records the order in which the gate let work run. */
function harness(settings: Partial<KdfGateSettings> = {}) {
  const gate = new KdfGate({ concurrency: 1, maxQueue: 100, maxWaitMs: 1000, perAddress: 100, ...settings });
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const run = (address: string | null, name: string): Promise<string> =>
    gate.run(address, () => {
      started.push(name);
      return new Promise<string>((resolve) => finishers.set(name, () => resolve(name)));
    });
  /** Finishes running work `name` and lets the gate hand its slot on. */
  const finish = async (name: string) => {
    finishers.get(name)!();
    finishers.delete(name);
    await settle();
  };
  return { gate, started, run, finish };
}

/** Lets the promise chain of a finished KDF (release, hand-over, the next work's start) run to its end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

async function refusal(p: Promise<unknown>): Promise<KdfRefusal> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(KdfRefusal);
  return err as KdfRefusal;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('KdfGate', () => {
  it('runs at most `concurrency` at once; the rest wait and run as slots free up', async () => {
    const { gate, started, run, finish } = harness({ concurrency: 2 });
    const all = [run('a', 'a1'), run('b', 'b1'), run('c', 'c1')];
    expect(started).toEqual(['a1', 'b1']);
    expect(gate.load()).toEqual({ running: 2, waiting: 1, limit: 2 });
    await finish('a1');
    expect(started).toEqual(['a1', 'b1', 'c1']);
    await finish('b1');
    await finish('c1');
    expect(await Promise.all(all)).toEqual(['a1', 'b1', 'c1']);
    expect(gate.load()).toEqual({ running: 0, waiting: 0, limit: 2 });
  });

  it('bounds the queue: beyond maxQueue waiters a request is refused at once (queue_full), without running', async () => {
    const { gate, started, run, finish } = harness({ maxQueue: 3 });
    const admitted = [run('a', 'a1'), run('b', 'b1'), run('c', 'c1'), run('d', 'd1')];
    expect(gate.load()).toMatchObject({ running: 1, waiting: 3 });
    const r = await refusal(run('e', 'e1'));
    expect(r.reason).toBe('queue_full');
    expect(r.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(started).not.toContain('e1');
    // Operator tools (no address) are never refused: they wait beyond the bound.
    const internal = run(null, 'cli');
    expect(gate.load()).toMatchObject({ running: 1, waiting: 4 });
    // A waiter taken off the queue makes room again.
    await finish('a1');
    const later = run('e', 'e2');
    for (const name of ['b1', 'c1', 'd1', 'cli', 'e2']) await finish(name);
    expect(await Promise.all([...admitted, internal, later])).toEqual(['a1', 'b1', 'c1', 'd1', 'cli', 'e2']);
  });

  it('refuses a waiter whose maxWaitMs passed (deadline), gives its address share back, and keeps serving the rest', async () => {
    const { gate, started, run, finish } = harness({ maxWaitMs: 500, perAddress: 1 });
    const first = run('a', 'a1');
    const waiting = refusal(run('b', 'b1'));
    await vi.advanceTimersByTimeAsync(300);
    const internal = run(null, 'cli');
    const late = refusal(run('c', 'c1'));
    await vi.advanceTimersByTimeAsync(250);
    // b1 waited 550 ms > 500: refused; c1 (250 ms) and the operator's work (never refused) still wait.
    expect((await waiting).reason).toBe('deadline');
    expect(started).toEqual(['a1']);
    expect(gate.load()).toMatchObject({ running: 1, waiting: 2 });
    // b's share (perAddress 1) is free again: b may queue anew.
    const retry = refusal(run('b', 'b2'));
    await vi.advanceTimersByTimeAsync(10_000);
    // Everything still queued at that point passed its deadline, except the operator's work.
    expect((await late).reason).toBe('deadline');
    expect((await retry).reason).toBe('deadline');
    await finish('a1');
    expect(started).toEqual(['a1', 'cli']);
    await finish('cli');
    expect(await Promise.all([first, internal])).toEqual(['a1', 'cli']);
    expect(gate.load()).toEqual({ running: 0, waiting: 0, limit: 1 });
  });

  it('holds each address to perAddress queued or running KDFs (address_budget); other addresses are admitted', async () => {
    const { gate, run, finish } = harness({ perAddress: 2 });
    const a = [run('10.0.0.1', 'a1'), run('10.0.0.1', 'a2')];
    const r = await refusal(run('10.0.0.1', 'a3'));
    expect(r.reason).toBe('address_budget');
    const b = run('10.0.0.2', 'b1');
    expect(gate.load()).toMatchObject({ running: 1, waiting: 2 });
    // A finished KDF gives the address its share back.
    await finish('a1');
    const a4 = run('10.0.0.1', 'a4');
    expect((await refusal(run('10.0.0.1', 'a5'))).reason).toBe('address_budget');
    for (const name of ['a2', 'b1', 'a4']) await finish(name);
    expect(await Promise.all([...a, b, a4])).toEqual(['a1', 'a2', 'b1', 'a4']);
  });

  it('serves waiting addresses in turn: a newcomer waits behind one KDF per other address, not a whole backlog', async () => {
    const { started, run, finish } = harness({ concurrency: 1 });
    const flood = Array.from({ length: 6 }, (_, i) => run('flooder', `f${i}`));
    const other = run('user', 'u1');
    const third = run('third', 't1');
    expect(started).toEqual(['f0']);
    await finish('f0');
    await finish('f1');
    // After the flooder's next turn comes the user's, then the third address's, then the flooder's again.
    await finish('u1');
    await finish('t1');
    expect(started).toEqual(['f0', 'f1', 'u1', 't1', 'f2']);
    for (const name of ['f2', 'f3', 'f4', 'f5']) await finish(name);
    await Promise.all([...flood, other, third]);
    expect(started).toEqual(['f0', 'f1', 'u1', 't1', 'f2', 'f3', 'f4', 'f5']);
  });

  it('gives a free slot to the address with the fewest KDFs running, ahead of a flooder whose turn it would be', async () => {
    const { started, run, finish } = harness({ concurrency: 2 });
    const flood = Array.from({ length: 6 }, (_, i) => run('flooder', `f${i}`));
    const other = run('user', 'u1');
    expect(started).toEqual(['f0', 'f1']);
    // The flooder's lane is first in turn order, but it has a KDF running and the user none.
    await finish('f0');
    expect(started).toEqual(['f0', 'f1', 'u1']);
    for (const name of ['f1', 'u1', 'f2', 'f3', 'f4', 'f5']) await finish(name);
    await Promise.all([...flood, other]);
    // Operator tools are served by the same rule.
    const more = [run('flooder', 'g0'), run('flooder', 'g1'), run('flooder', 'g2'), run(null, 'cli')];
    await finish('g0');
    expect(started.slice(-3)).toEqual(['g0', 'g1', 'cli']);
    for (const name of ['g1', 'cli', 'g2']) await finish(name);
    await Promise.all(more);
  });

  it('a failing KDF frees its slot and share like a successful one', async () => {
    const gate = new KdfGate({ concurrency: 1, maxQueue: 10, maxWaitMs: 1000, perAddress: 1 });
    await expect(gate.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run('a', async () => 'ok')).toBe('ok');
    expect(gate.load()).toEqual({ running: 0, waiting: 0, limit: 1 });
  });

  it('a raised concurrency starts queued work at once; a lowered one lets running work finish', async () => {
    const { gate, started, run, finish } = harness({ concurrency: 1 });
    const all = ['a', 'b', 'c', 'd'].map((n) => run(n, n));
    gate.configure({ concurrency: 3 });
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    gate.configure({ concurrency: 1 });
    await finish('a');
    await finish('b');
    expect(started).toEqual(['a', 'b', 'c']);
    await finish('c');
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    await finish('d');
    await Promise.all(all);
    expect(() => gate.configure({ perAddress: 0 })).toThrow(RangeError);
    expect(() => gate.configure({ maxWaitMs: 1.5 })).toThrow(RangeError);
  });
});

describe('KdfGate: a waiting KDF whose requester has gone', () => {
  /** A KDF stand-in that records that it ran and finishes when the test says so. */
  function kdf(name: string, started: string[], finishers: Map<string, () => void>) {
    return () => {
      started.push(name);
      return new Promise<string>((resolve) => finishers.set(name, () => resolve(name)));
    };
  }

  it('leaves the queue, frees its address share and never runs; the running one is not affected', async () => {
    const gate = new KdfGate({ concurrency: 1, maxQueue: 10, maxWaitMs: 60_000, perAddress: 2 });
    const started: string[] = [];
    const finishers = new Map<string, () => void>();
    const leaving = new AbortController();
    const runningGone = new AbortController();
    let asked = 0;
    const first = gate.run('a', kdf('a1', started, finishers), () => {
      asked++;
      return runningGone.signal;
    });
    const waiting = gate.run('a', kdf('a2', started, finishers), () => {
      asked++;
      return leaving.signal;
    });
    // The signal is asked for only by the KDF that has to wait.
    expect(asked).toBe(1);
    expect(gate.load()).toMatchObject({ running: 1, waiting: 1 });
    // The address holds its whole share (2): a third is refused.
    expect((await refusal(gate.run('a', async () => 'x'))).reason).toBe('address_budget');

    runningGone.abort(); // the running KDF's requester goes: it runs on regardless
    leaving.abort();
    const r = await refusal(waiting);
    expect(r.reason).toBe('abandoned');
    expect(gate.load()).toMatchObject({ running: 1, waiting: 0 });
    // Its share is back: the same address is admitted (queued) again while a1 still runs.
    const again = gate.run('a', kdf('a3', started, finishers));
    expect(gate.load()).toMatchObject({ running: 1, waiting: 1 });

    finishers.get('a1')!();
    expect(await first).toBe('a1');
    await settle();
    expect(started).toEqual(['a1', 'a3']);
    finishers.get('a3')!();
    expect(await again).toBe('a3');
    expect(gate.load()).toEqual({ running: 0, waiting: 0, limit: 1 });
  });

  it('a signal already aborted when it would queue is refused at once and holds nothing', async () => {
    const gate = new KdfGate({ concurrency: 1, maxQueue: 10, maxWaitMs: 60_000, perAddress: 2 });
    const started: string[] = [];
    const finishers = new Map<string, () => void>();
    const first = gate.run('a', kdf('a1', started, finishers));
    const r = await refusal(gate.run('a', kdf('a2', started, finishers), () => AbortSignal.abort()));
    expect(r.reason).toBe('abandoned');
    expect(gate.load()).toMatchObject({ running: 1, waiting: 0 });
    // Share 2, one running: one more may queue.
    const next = gate.run('a', kdf('a3', started, finishers));
    finishers.get('a1')!();
    await first;
    await settle();
    finishers.get('a3')!();
    await next;
    expect(started).toEqual(['a1', 'a3']);
  });

  it('a waiter that got its slot stops watching: a later abort changes nothing', async () => {
    const gate = new KdfGate({ concurrency: 1, maxQueue: 10, maxWaitMs: 60_000, perAddress: 2 });
    const started: string[] = [];
    const finishers = new Map<string, () => void>();
    const gone = new AbortController();
    const first = gate.run('a', kdf('a1', started, finishers));
    const second = gate.run('b', kdf('b1', started, finishers), () => gone.signal);
    finishers.get('a1')!();
    await first;
    await settle();
    expect(started).toEqual(['a1', 'b1']);
    gone.abort();
    await settle();
    expect(gate.load()).toMatchObject({ running: 1, waiting: 0 });
    finishers.get('b1')!();
    expect(await second).toBe('b1');
    expect(gate.load()).toEqual({ running: 0, waiting: 0, limit: 1 });
  });

  it('operator work (no address) is never withdrawn', async () => {
    const gate = new KdfGate({ concurrency: 1, maxQueue: 10, maxWaitMs: 60_000, perAddress: 2 });
    const started: string[] = [];
    const finishers = new Map<string, () => void>();
    const first = gate.run('a', kdf('a1', started, finishers));
    let asked = 0;
    const cli = gate.run(null, kdf('cli', started, finishers), () => {
      asked++;
      return AbortSignal.abort();
    });
    expect(asked).toBe(0);
    finishers.get('a1')!();
    await first;
    await settle();
    finishers.get('cli')!();
    expect(await cli).toBe('cli');
  });
});

describe('KdfGate stats (the metrics read them)', () => {
  it('counts waits with their time, and refusals by reason', async () => {
    const { gate, run, finish } = harness({ perAddress: 1, maxQueue: 1 });
    const a = run('10.0.0.1', 'a');
    const b = run('10.0.0.2', 'b');
    expect((await refusal(run('10.0.0.3', 'c'))).reason).toBe('queue_full');
    expect((await refusal(run('10.0.0.1', 'd'))).reason).toBe('address_budget');
    expect(gate.stats).toEqual({ waited: 0, waitSeconds: 0, refused: { address_budget: 1, queue_full: 1, deadline: 0, abandoned: 0 } });
    vi.advanceTimersByTime(200);
    await finish('a');
    await a;
    // b waited for a's slot and got it.
    expect(gate.stats.waited).toBe(1);
    expect(gate.stats.waitSeconds).toBeGreaterThanOrEqual(0);
    await finish('b');
    await b;
    expect(gate.stats.waited).toBe(1);
  });

  it('counts a deadline refusal', async () => {
    const { gate, run } = harness({ maxWaitMs: 50 });
    run(null, 'hold').catch(() => undefined);
    const late = run('10.0.0.1', 'late');
    vi.advanceTimersByTime(60);
    await refusal(late);
    expect(gate.stats.refused.deadline).toBe(1);
  });
});
