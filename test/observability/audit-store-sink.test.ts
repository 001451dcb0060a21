import { describe, expect, it } from 'vitest';
import { AuditStoreSink } from '../../src/observability/audit-store-sink.js';
import { EventHub } from '../../src/observability/events.js';
import { ProviderHealth } from '../../src/federation/provider-health.js';
import { OAuthError } from '../../src/oauth/errors.js';
import type { OAuthContext } from '../../src/oauth/context.js';
import type { EventStore, StoredEvent } from '../../src/store/types.js';

/** An EventStore that fails while `down` is set and keeps what it was given. */
class FlakyStore implements EventStore {
  rows: StoredEvent[] = [];
  batches = 0;
  down = false;
  async insertMany(events: readonly StoredEvent[]): Promise<void> {
    if (this.down) throw new Error('database unavailable');
    this.batches++;
    for (const e of events) if (!this.rows.some((r) => r.id === e.id)) this.rows.push(e);
  }
  async query(): Promise<StoredEvent[]> {
    return this.rows;
  }
  async deleteOlderThan(): Promise<number> {
    return 0;
  }
}

const opts = { issued: 'off' as const, issuedSampleRate: 0, flushIntervalMs: 20, batchSize: 50, maxQueue: 100 };

describe('AuditStoreSink', () => {
  it('writes in batches off the request, not one write per event', async () => {
    const store = new FlakyStore();
    const hub = new EventHub();
    hub.addSink(new AuditStoreSink(store, opts));
    for (let i = 0; i < 30; i++) hub.emit({ type: 'login.failed' });
    expect(store.rows).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(store.rows).toHaveLength(30);
    expect(store.batches).toBe(1);
  });

  it('keeps a failed batch and writes it when the store is back; a full queue drops and counts', async () => {
    const store = new FlakyStore();
    store.down = true;
    const errors: unknown[] = [];
    const sink = new AuditStoreSink(store, opts, (e) => errors.push(e));
    const hub = new EventHub();
    hub.addSink(sink);
    for (let i = 0; i < 120; i++) hub.emit({ type: 'client.auth_failed', details: { n: i } });
    expect(sink.dropped).toBe(20);
    await new Promise((r) => setTimeout(r, 60));
    expect(errors.length).toBeGreaterThan(0);
    expect(sink.lastError).toBe('database unavailable');
    store.down = false;
    await hub.flush();
    expect(store.rows.map((e) => e.details.n)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(sink.queued).toBe(0);
  });

  it('flush reports what could not be written', async () => {
    const store = new FlakyStore();
    store.down = true;
    const sink = new AuditStoreSink(store, opts);
    sink.accept(new EventHub().emit({ type: 'key.rotated' }));
    await expect(sink.flush()).rejects.toThrow(/1 audit events could not be written/);
  });

  it('token.issued: off takes none, sampled a fraction, all every one', () => {
    const store = new FlakyStore();
    expect(new AuditStoreSink(store, opts).takes('token.issued')).toBe(false);
    expect(new AuditStoreSink(store, { ...opts, issued: 'all' }).takes('token.issued')).toBe(true);
    const sampled = new AuditStoreSink(store, { ...opts, issued: 'sampled', issuedSampleRate: 0.5, maxQueue: 100_000, batchSize: 100_000 });
    for (let i = 0; i < 2000; i++) sampled.accept(new EventHub().emit({ type: 'token.issued' }));
    expect(sampled.queued).toBeGreaterThan(800);
    expect(sampled.queued).toBeLessThan(1200);
  });
});

describe('ProviderHealth', () => {
  it('one idp.unavailable per outage and one idp.recovered when it answers again', async () => {
    const hub = new EventHub();
    const seen: string[] = [];
    hub.addSink({ name: 't', accept: (e) => seen.push(`${e.type}:${String(e.details.provider)}`) });
    const ctx = { events: hub } as unknown as OAuthContext;
    const health = new ProviderHealth();
    const outage = () => Promise.reject(OAuthError.temporarilyUnavailable('The identity provider corp is unavailable'));
    for (let i = 0; i < 3; i++) await expect(health.observe('corp', ctx, outage)).rejects.toThrow();
    await expect(health.observe('corp', ctx, () => Promise.reject(OAuthError.invalidGrant('bad token')))).rejects.toThrow();
    await health.observe('corp', ctx, async () => 'ok');
    expect(seen).toEqual(['idp.unavailable:corp', 'idp.recovered:corp']);
  });
});
