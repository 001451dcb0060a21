import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { EventHub } from '../../src/observability/events.js';
import { StreamSink } from '../../src/observability/stream-sink.js';
import { basic, startTestServer } from '../support/server.js';

/** events.stream: one JSON line per event in the admin API's shape, on stdout or appended to a file. */
const dir = mkdtempSync(join(tmpdir(), 'tessera-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const off = { issued: 'off' as const, issuedSampleRate: 0 };

/** A Writable that keeps what it is given; `stuck` never completes a write (a reader that stopped). */
function sinkOut(stuck = false): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      if (!stuck) done();
    },
  });
  return Object.assign(w, { text: () => chunks.join('') });
}

describe('StreamSink', () => {
  it('stdout: one JSON line per event with the wire names and an ISO time', () => {
    const out = sinkOut();
    const hub = new EventHub(() => Date.UTC(2026, 0, 31, 12));
    hub.addSink(StreamSink.open('stdout', off, () => {}, out));
    const e = hub.emit({ type: 'family.revoked', clientId: 'app', subject: 'alice', address: '10.1.2.3', requestId: 'r-1', actor: { kind: 'admin_api', id: 'ops' }, details: { family_id: 'f1', reason: 'admin' } });
    hub.emit({ type: 'login.failed', details: { username: 'bob' } });
    const lines = out.text().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({ id: e.id, time: '2026-01-31T12:00:00.000Z', type: 'family.revoked', client_id: 'app', subject: 'alice', address: '10.1.2.3', request_id: 'r-1', actor: { kind: 'admin_api', id: 'ops' }, details: { family_id: 'f1', reason: 'admin' } });
    expect(JSON.parse(lines[1]!)).toMatchObject({ type: 'login.failed', client_id: null, actor: null, details: { username: 'bob' } });
  });

  it('token.issued only under events.issued, like the table', () => {
    const out = sinkOut();
    const hub = new EventHub();
    hub.addSink(StreamSink.open('stdout', off, () => {}, out));
    expect(hub.wants('token.issued')).toBe(false);
    const all = sinkOut();
    const hub2 = new EventHub();
    hub2.addSink(StreamSink.open('stdout', { issued: 'all', issuedSampleRate: 0 }, () => {}, all));
    hub2.emit({ type: 'token.issued', clientId: 'svc', details: { grant_type: 'client_credentials' } });
    expect(JSON.parse(all.text())).toMatchObject({ type: 'token.issued', client_id: 'svc' });
  });

  it('drops and counts lines once a reader is 8 MiB behind, instead of buffering without bound', () => {
    const out = sinkOut(true);
    const sink = StreamSink.open('stdout', off, () => {}, out);
    const hub = new EventHub();
    hub.addSink(sink);
    const big = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 12; i++) hub.emit({ type: 'login.failed', details: { username: big } });
    expect(sink.dropped).toBeGreaterThanOrEqual(3);
    expect(sink.dropped).toBeLessThanOrEqual(4);
  });

  it('file: a running server appends its events (mode 0600) and has written them all when it stops', async () => {
    const file = join(dir, 'events.jsonl');
    const s = await startTestServer({ doc: { clients: [{ client_id: 'app', client_secret: 'app-secret-0123456789', grant_types: ['client_credentials'], scope: 'read' }] }, env: { TESSERA_EVENTS_STREAM: `file:${file}` } });
    try {
      for (let i = 0; i < 3; i++) expect((await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('app', `wrong-secret-${i}-xyz`) })).status).toBe(401);
    } finally {
      await s.stop();
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const failed = lines.filter((l) => l.type === 'client.auth_failed');
    expect(failed).toHaveLength(3);
    expect(Object.keys(failed[0]!)).toEqual(['id', 'time', 'type', 'client_id', 'subject', 'address', 'request_id', 'actor', 'details']);
    expect(failed[0]).toMatchObject({ client_id: 'app', address: '127.0.0.1', details: { method: 'client_secret_basic', reason: 'invalid_client' } });
    expect(readFileSync(file, 'utf8')).not.toContain('wrong-secret');
  });
});
