import { describe, expect, it } from 'vitest';
import { EventHub, eventId, type SecurityEvent } from '../../src/observability/events.js';

describe('EventHub', () => {
  it('fans one event out to every sink with an id, the time and null defaults', () => {
    const hub = new EventHub(() => 1_700_000_000_123);
    const a: SecurityEvent[] = [];
    const b: SecurityEvent[] = [];
    hub.addSink({ name: 'a', accept: (e) => a.push(e) });
    hub.addSink({ name: 'b', accept: (e) => b.push(e) });
    const e = hub.emit({ type: 'login.failed', clientId: 'app', details: { reason: 'bad_password' } });
    expect(a).toEqual([e]);
    expect(b).toEqual([e]);
    expect(e).toMatchObject({ type: 'login.failed', time: 1_700_000_000_123, clientId: 'app', subject: null, address: null, requestId: null, actor: null, details: { reason: 'bad_password' } });
    expect(e.id).toMatch(/^[0-9a-f]{22}$/);
  });

  it('keeps going when a sink throws, and reports which one', () => {
    const errors: string[] = [];
    const hub = new EventHub(Date.now, (name) => errors.push(name));
    const seen: string[] = [];
    hub.addSink({ name: 'broken', accept: () => { throw new Error('boom'); } });
    hub.addSink({ name: 'ok', accept: (e) => seen.push(e.type) });
    expect(() => hub.emit({ type: 'token.revoked' })).not.toThrow();
    expect(errors).toEqual(['broken']);
    expect(seen).toEqual(['token.revoked']);
  });

  it('flushes every sink, even when one flush fails', async () => {
    const errors: string[] = [];
    const hub = new EventHub(Date.now, (name) => errors.push(name));
    let flushed = 0;
    hub.addSink({ name: 'bad', accept: () => {}, flush: async () => { throw new Error('disk full'); } });
    hub.addSink({ name: 'good', accept: () => {}, flush: async () => { flushed++; } });
    await hub.flush();
    expect(flushed).toBe(1);
    expect(errors).toEqual(['bad']);
  });

  it('stops delivering to a removed sink', () => {
    const hub = new EventHub();
    const seen: string[] = [];
    const sink = { name: 's', accept: (e: SecurityEvent) => seen.push(e.id) };
    hub.addSink(sink);
    hub.emit({ type: 'key.rotated' });
    hub.removeSink(sink);
    hub.emit({ type: 'key.rotated' });
    expect(seen).toHaveLength(1);
  });
});

describe('eventId', () => {
  it('sorts by time as a string and differs within one millisecond', () => {
    const ids = [eventId(1), eventId(2), eventId(1_700_000_000_000), eventId(1_800_000_000_000)];
    expect([...ids].sort()).toEqual(ids);
    expect(eventId(5)).not.toBe(eventId(5));
  });
});
