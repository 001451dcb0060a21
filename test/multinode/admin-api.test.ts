import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, redisAvailable, requireService, TEST_DATABASE_URL, TEST_REDIS_URL, type TestDatabase } from '../support/services.js';
import { basic, ensureBuilt, newMasterKey, post, startNode, within, writeDoc, type Node } from './support.js';

/**
 * The admin API across two real `tessera serve` processes on one PostgreSQL + Redis: what the API writes on A
 * is honoured by B within 1 s (issue 20), through the change feed like any CLI or import write.
 */
const SECRET = 'multinode-admin-secret-0123';
const doc = { clients: [{ client_id: 'deployer', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:admin' }] };

let run = false;
let db: TestDatabase;
let nodes: Node[] = [];
let a: Node;
let b: Node;

beforeAll(async () => {
  run = (await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL)) && (await requireService('Redis', await redisAvailable(), TEST_REDIS_URL));
  if (!run) return;
  await ensureBuilt();
  db = await createTestDatabase();
  const env = {
    TESSERA_DATABASE_URL: db.url,
    TESSERA_REDIS_URL: TEST_REDIS_URL,
    TESSERA_REDIS_KEY_PREFIX: `t${randomBytes(6).toString('hex')}:`,
    TESSERA_MASTER_KEY: newMasterKey(),
    TESSERA_DATABASE_POOL_SIZE: '4',
    TESSERA_ISSUER: 'https://auth.multinode.test',
  };
  a = await startNode(env, ['--import', writeDoc(doc)]);
  nodes = [a];
  b = await startNode(env);
  nodes.push(b);
}, 120_000);
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await db?.drop();
});

async function adminToken(node: Node): Promise<string> {
  const r = await post(`${node.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('deployer', SECRET) });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.access_token as string;
}

async function admin(node: Node, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${node.url}/admin/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

describe('the admin API on two nodes (PostgreSQL + Redis)', () => {
  it('a client created through the API on A gets a token on B within 1 s; deleted on A, B refuses it within 1 s', async ({ skip }) => {
    if (!run) skip();
    const token = await adminToken(a);
    const created = await admin(a, token, 'POST', '/clients', { client_id: 'x', grant_types: ['client_credentials'], scope: 'read' });
    expect(created.status).toBe(201);
    const secret = created.body.client_secret as string;
    const issueOnB = async () => (await post(`${b.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('x', secret) })).status;
    expect(await within(1000, async () => (await issueOnB()) === 200)).toBeGreaterThanOrEqual(0);
    expect((await admin(a, token, 'DELETE', '/clients/x')).status).toBe(204);
    expect(await within(1000, async () => (await issueOnB()) === 401)).toBeGreaterThanOrEqual(0);
  });

  it('an admin token issued by A works on B; revoked on A, B refuses it within 1 s', async ({ skip }) => {
    if (!run) skip();
    const token = await adminToken(a);
    expect((await admin(b, token, 'GET', '/clients')).status).toBe(200);
    expect((await post(`${a.url}/oauth/revoke`, { token }, { authorization: basic('deployer', SECRET) })).status).toBe(200);
    expect(await within(1000, async () => (await admin(b, token, 'GET', '/clients')).status === 401)).toBeGreaterThanOrEqual(0);
  });
});
