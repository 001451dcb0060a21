import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { captureLog } from '../support/log-lines.js';
import { ConfigError } from '../../src/config.js';

/** A real server configured with events.webhook: its events reach a loopback receiver, signed, and its sinks are in /metrics. */
const HOOK_SECRET = 'hook-secret-0123456789-abcdef';
const APP_SECRET = 'app-secret-abcdef-123456';

describe('events.webhook on a running server', () => {
  let rx: Server;
  let hookUrl: string;
  const got: Array<{ body: string; signature: string }> = [];
  const log = captureLog();
  let s: TestServer;

  beforeAll(async () => {
    rx = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['tessera-signature']) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`;
    s = await startTestServer({
      doc: { clients: [{ client_id: 'app', client_secret: APP_SECRET, grant_types: ['client_credentials'], scope: 'read' }] },
      env: { TESSERA_EVENTS_WEBHOOK_URL: hookUrl, TESSERA_EVENTS_WEBHOOK_SECRET: HOOK_SECRET, TESSERA_EVENTS_WEBHOOK_TYPES: 'client.auth_failed', TESSERA_METRICS_PUBLIC: 'true' },
      logStream: log.stream,
    });
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    await new Promise((r) => rx.close(r));
  });

  it('POSTs a failed client authentication, signed, within a second; other types stay out', async () => {
    const bad = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('app', 'wrong-secret-value-1') });
    expect(bad.status).toBe(401);
    const ok = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('app', APP_SECRET) });
    expect(ok.status).toBe(200);
    const deadline = Date.now() + 1000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(got).toHaveLength(1);
    const { body, signature } = got[0]!;
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature)!;
    expect(createHmac('sha256', HOOK_SECRET).update(`${t}.${body}`).digest('hex')).toBe(v1);
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(5);
    const events = (JSON.parse(body) as { events: Array<Record<string, unknown>> }).events;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'client.auth_failed', client_id: 'app' });
    expect(events[0]!.id).toMatch(/^[0-9a-f]{22}$/);
    expect(body).not.toContain('wrong-secret-value-1');
  });

  it('exposes every sink in /metrics (dropped, queued) and the webhook deliveries', async () => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    for (const sink of ['audit-store', 'webhook']) {
      expect(text).toContain(`tessera_events_dropped_total{sink="${sink}"} 0`);
      expect(text).toMatch(new RegExp(`tessera_events_queued\\{sink="${sink}"\\} \\d+`));
    }
    expect(text).toContain('tessera_events_webhook_delivered_total 1');
    expect(text).toContain('tessera_events_webhook_failures_total 0');
  });

  it('never logs the secret', () => {
    expect(JSON.stringify(log.lines)).not.toContain(HOOK_SECRET);
  });

  it('refuses to start with a type filter naming no event type', async () => {
    const err = await startTestServer({ env: { TESSERA_EVENTS_WEBHOOK_URL: hookUrl, TESSERA_EVENTS_WEBHOOK_SECRET: HOOK_SECRET, TESSERA_EVENTS_WEBHOOK_TYPES: 'login.bogus' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/events\.webhook\.types: "login\.bogus" is not an event type/);
  });
});
