import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, redisAvailable, requireService, TEST_DATABASE_URL, TEST_REDIS_URL, type TestDatabase } from '../support/services.js';
import { basic, ensureBuilt, newMasterKey, post, startNode, within, writeDoc, type Node } from './support.js';

/**
 * Two real `tessera serve` processes on one PostgreSQL database: a refresh-token reuse detected on A is in the
 * audit trail B serves within 1 s, and each node delivers its own events to the webhook.
 */
const SECRET = 'multinode-events-secret-0123';
const PASSWORD = 'correct horse battery staple';
const HOOK_SECRET = 'multinode-hook-secret-0123456';
const doc = {
  clients: [
    { client_id: 'app', client_secret: SECRET, grant_types: ['password', 'refresh_token'], scope: 'read offline_access' },
    { client_id: 'auditor', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:admin:read' },
  ],
  users: [{ username: 'alice', password: PASSWORD }],
};

let run = false;
let db: TestDatabase;
const nodes: Node[] = [];
let a: Node;
let b: Node;
let rx: Server;
const hooked: Array<{ signature: string; body: string }> = [];

beforeAll(async () => {
  run = (await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL)) && (await requireService('Redis', await redisAvailable(), TEST_REDIS_URL));
  if (!run) return;
  await ensureBuilt();
  db = await createTestDatabase();
  rx = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooked.push({ signature: String(req.headers['tessera-signature']), body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
  const env = {
    TESSERA_DATABASE_URL: db.url,
    TESSERA_REDIS_URL: TEST_REDIS_URL,
    TESSERA_REDIS_KEY_PREFIX: `t${randomBytes(6).toString('hex')}:`,
    TESSERA_MASTER_KEY: newMasterKey(),
    TESSERA_DATABASE_POOL_SIZE: '4',
    TESSERA_ISSUER: 'https://auth.multinode.test',
    TESSERA_EVENTS_WEBHOOK_URL: `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`,
    TESSERA_EVENTS_WEBHOOK_SECRET: HOOK_SECRET,
    TESSERA_EVENTS_WEBHOOK_TYPES: 'refresh.reuse_detected',
  };
  a = await startNode(env, ['--import', writeDoc(doc)]);
  nodes.push(a);
  b = await startNode(env);
  nodes.push(b);
}, 120_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await db?.drop();
  await new Promise((r) => rx?.close(r));
});

describe('audit events across nodes', () => {
  it('a refresh-token reuse on A is in GET /admin/v1/events on B within 1 s, and A alone delivers it to the webhook', async () => {
    if (!run) return;
    const admin = await post(`${b.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'tessera:admin:read' }, { authorization: basic('auditor', SECRET) });
    expect(admin.status, JSON.stringify(admin.body)).toBe(200);
    const login = await post(`${a.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: PASSWORD, scope: 'read offline_access' }, { authorization: basic('app', SECRET) });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    const rotated = await post(`${a.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: login.body.refresh_token as string }, { authorization: basic('app', SECRET) });
    expect(rotated.status).toBe(200);
    const reused = await post(`${a.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: login.body.refresh_token as string }, { authorization: basic('app', SECRET) });
    expect(reused.body.error).toBe('invalid_grant');

    let found: Record<string, unknown> | undefined;
    const took = await within(1000, async () => {
      const res = await fetch(`${b.url}/admin/v1/events?type=refresh.reuse_detected&client_id=app`, { headers: { authorization: `Bearer ${admin.body.access_token as string}` } });
      const items = ((await res.json()) as { items: Array<Record<string, unknown>> }).items;
      found = items[0];
      return items.length === 1;
    });
    expect(took, 'B did not list the reuse detected on A within 1 s').toBeGreaterThanOrEqual(0);
    expect(found).toMatchObject({ type: 'refresh.reuse_detected', client_id: 'app', details: { family_revoked: true } });

    // The webhook: one POST, from A (B detected nothing), signed, with the same event id as the table's.
    expect(await within(2000, async () => hooked.length >= 1)).toBeGreaterThanOrEqual(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(hooked).toHaveLength(1);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(hooked[0]!.signature)!;
    expect(createHmac('sha256', HOOK_SECRET).update(`${t}.${hooked[0]!.body}`).digest('hex')).toBe(v1);
    expect((JSON.parse(hooked[0]!.body) as { events: Array<{ id: string }> }).events.map((e) => e.id)).toEqual([found!.id]);
  });
});
