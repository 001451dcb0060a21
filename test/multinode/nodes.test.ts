import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, redisAvailable, requireService, TEST_DATABASE_URL, TEST_REDIS_URL, type TestDatabase } from '../support/services.js';
import { basic, cli, ensureBuilt, newMasterKey, post, startNode, within, writeDoc, type Node } from './support.js';

/**
 * Several real `tessera serve` processes sharing one fresh PostgreSQL database and the local Redis (under a
 * key prefix of their own), all with the same master key: what one node does, the others honour.
 */
const SECRET = 'multinode-secret-0123456789';
const PASSWORD = 'correct horse battery staple';
const doc = {
  clients: [
    { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read write' },
    { client_id: 'doomed', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
    { client_id: 'limited', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', rate_limit: { points: 6, duration: 60 } },
    { client_id: 'app', client_secret: SECRET, grant_types: ['password', 'refresh_token'], scope: 'read offline_access' },
    { client_id: 'org-app', client_secret: SECRET, grant_types: ['org_implicit', 'refresh_token'], scope: 'wallet:read' },
  ],
  users: [{ username: 'alice', password: PASSWORD }],
  organizations: [{ id: 'acme', name: 'Acme' }],
  installations: [{ org_id: 'acme', client_id: 'org-app', scope: 'wallet:read' }],
};

let run = false;
let db: TestDatabase;
let nodes: Node[] = [];
let a: Node;
let b: Node;
let env: Record<string, string>;

beforeAll(async () => {
  run = (await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL)) && (await requireService('Redis', await redisAvailable(), TEST_REDIS_URL));
  if (!run) return;
  await ensureBuilt();
  db = await createTestDatabase();
  env = {
    TESSERA_DATABASE_URL: db.url,
    TESSERA_REDIS_URL: TEST_REDIS_URL,
    TESSERA_REDIS_KEY_PREFIX: `t${randomBytes(6).toString('hex')}:`,
    TESSERA_MASTER_KEY: newMasterKey(),
    TESSERA_DATABASE_POOL_SIZE: '4',
    // Nodes behind one load balancer share one issuer identifier (RFC 8414): tokens name it, not a node.
    TESSERA_ISSUER: 'https://auth.multinode.test',
  };
  // Three processes at once on a fresh database: the migrator's advisory lock and the first-key lock must
  // make exactly one of them apply the schema and create the signing key.
  const importFile = writeDoc(doc);
  const started = await Promise.allSettled([0, 1, 2].map(() => startNode(env, ['--import', importFile])));
  nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  [a, b] = nodes as [Node, Node];
}, 120_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await db?.drop();
});

async function query<T>(text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

async function token(node: Node, clientId = 'svc'): Promise<string> {
  const r = await post(`${node.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(clientId, SECRET) });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.access_token as string;
}

async function introspect(node: Node, tok: string): Promise<Record<string, unknown>> {
  const r = await post(`${node.url}/oauth/introspect`, { token: tok }, { authorization: basic('svc', SECRET) });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

function kidOf(jwt: string): string {
  return (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
}

describe('several nodes on one PostgreSQL + Redis', () => {
  it('three concurrent starts on a fresh database migrate once and create one signing key', async () => {
    if (!run) return;
    const migrations = (await query<{ name: string }>('select name from kysely_migration')).map((m) => m.name);
    expect(migrations).toContain('0001-initial');
    expect(new Set(migrations).size).toBe(migrations.length);
    const active = await query<{ kid: string }>("select kid from signing_keys where status = 'active'");
    expect(active).toHaveLength(1);
    const jwks = await Promise.all(nodes.map(async (n) => (await (await fetch(`${n.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }));
    for (const j of jwks) expect(j.keys.map((k) => k.kid)).toEqual([active[0]!.kid]);
    for (const n of nodes) {
      const ready = (await (await fetch(`${n.url}/readyz`)).json()) as { checks: Record<string, { ok: boolean }> };
      expect(ready.checks).toMatchObject({ database: { ok: true }, redis: { ok: true } });
    }
  });

  it('a token issued by A introspects active on B (RFC 7662)', async () => {
    if (!run) return;
    const t = await token(a);
    expect(await introspect(b, t)).toMatchObject({ active: true, client_id: 'svc' });
  });

  it('a token revoked on A is inactive on B within 1 s (RFC 7009)', async () => {
    if (!run) return;
    const t = await token(a);
    expect((await introspect(b, t)).active).toBe(true);
    const r = await post(`${a.url}/oauth/revoke`, { token: t, token_type_hint: 'access_token' }, { authorization: basic('svc', SECRET) });
    expect(r.status).toBe(200);
    const took = await within(1000, async () => (await introspect(b, t)).active === false);
    expect(took, 'B still reports the revoked token active after 1 s').toBeGreaterThanOrEqual(0);
  });

  it('shares the rate limit across nodes', async () => {
    if (!run) return;
    // 6 points per minute for this client: 3 on A and 3 on B use them all; a seventh anywhere is refused.
    for (const n of [a, b, a, b, a, b]) {
      const r = await post(`${n.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('limited', SECRET) });
      expect(r.status).toBe(200);
    }
    for (const n of [a, b]) {
      const r = await post(`${n.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('limited', SECRET) });
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('a refresh race split across A and B has exactly one winner', async () => {
    if (!run) return;
    for (let round = 0; round < 5; round++) {
      const login = await post(`${a.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: PASSWORD, scope: 'read offline_access' }, { authorization: basic('app', SECRET) });
      expect(login.status, JSON.stringify(login.body)).toBe(200);
      const rt = login.body.refresh_token as string;
      expect(typeof rt).toBe('string');
      const results = await Promise.all(
        [a, b].map((n) => post(`${n.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: rt }, { authorization: basic('app', SECRET) })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 400]);
      expect(results.find((r) => r.status === 400)!.body.error).toBe('invalid_grant');
    }
  });

  it('a key rotated with the CLI appears in B’s JWKS within 1 s and B verifies tokens A signs with it', async () => {
    if (!run) return;
    const out = JSON.parse(await cli(['keys', 'rotate', '--database-url', db.url, '--json'], env)) as { kid: string };
    const inJwks = await within(1000, async () => {
      const jwks = (await (await fetch(`${b.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      return jwks.keys.some((k) => k.kid === out.kid);
    });
    expect(inJwks, 'the new key is not in B’s JWKS after 1 s').toBeGreaterThanOrEqual(0);
    let t = '';
    const signed = await within(1000, async () => kidOf((t = await token(a))) === out.kid);
    expect(signed, 'A does not sign with the new key after 1 s').toBeGreaterThanOrEqual(0);
    expect(await introspect(b, t)).toMatchObject({ active: true });
  });

  it('a client deleted with the CLI is refused on B within 1 s', async () => {
    if (!run) return;
    await token(b, 'doomed'); // B has it cached now
    await cli(['client', 'delete', 'doomed', '--database-url', db.url], env);
    const took = await within(1000, async () => {
      const r = await post(`${b.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('doomed', SECRET) });
      return r.status === 401;
    });
    expect(took, 'B still accepts the deleted client after 1 s').toBeGreaterThanOrEqual(0);
  });

  /** Whether `tok` introspects active on `node`, asked by the client it was issued to. */
  async function activeFor(node: Node, clientId: string, tok: string): Promise<boolean> {
    const r = await post(`${node.url}/oauth/introspect`, { token: tok }, { authorization: basic(clientId, SECRET) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.active === true;
  }

  it('a family revoked on A (reuse detection, RFC 7009) makes its JWT access tokens inactive on B within 1 s', async () => {
    if (!run) return;
    for (const how of ['reuse', 'revoke'] as const) {
      const login = await post(`${a.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: PASSWORD, scope: 'read offline_access' }, { authorization: basic('app', SECRET) });
      expect(login.status, JSON.stringify(login.body)).toBe(200);
      const rotated = await post(`${a.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: login.body.refresh_token as string }, { authorization: basic('app', SECRET) });
      expect(rotated.status).toBe(200);
      const tokens = [login.body.access_token as string, rotated.body.access_token as string];
      // B has verified (and cached) both answers before the revocation.
      for (const t of tokens) expect(await activeFor(b, 'app', t)).toBe(true);
      if (how === 'reuse') {
        const reused = await post(`${a.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: login.body.refresh_token as string }, { authorization: basic('app', SECRET) });
        expect(reused.body.error).toBe('invalid_grant');
      } else {
        const r = await post(`${a.url}/oauth/revoke`, { token: rotated.body.refresh_token as string }, { authorization: basic('app', SECRET) });
        expect(r.status).toBe(200);
      }
      const took = await within(1000, async () => !(await activeFor(b, 'app', tokens[0]!)) && !(await activeFor(b, 'app', tokens[1]!)));
      expect(took, `after ${how}, B still reports the family's access tokens active after 1 s`).toBeGreaterThanOrEqual(0);
      for (const t of tokens) expect(await activeFor(a, 'app', t)).toBe(false);
    }
  });

  it('an installation revoked with the CLI makes its org access tokens inactive on every node within 1 s', async () => {
    if (!run) return;
    const org = await post(`${a.url}/oauth/token`, { grant_type: 'org_implicit', org_id: 'acme' }, { authorization: basic('org-app', SECRET) });
    expect(org.status, JSON.stringify(org.body)).toBe(200);
    const refreshed = await post(`${b.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: org.body.refresh_token as string }, { authorization: basic('org-app', SECRET) });
    expect(refreshed.status).toBe(200);
    const tokens = [org.body.access_token as string, refreshed.body.access_token as string];
    for (const n of nodes) for (const t of tokens) expect(await activeFor(n, 'org-app', t)).toBe(true);
    const [inst] = await query<{ id: string }>("select id from installations where org_id = 'acme' and client_id = 'org-app'");
    await cli(['install', 'revoke', inst!.id, '--database-url', db.url], env);
    for (const n of nodes) {
      const took = await within(1000, async () => !(await activeFor(n, 'org-app', tokens[0]!)) && !(await activeFor(n, 'org-app', tokens[1]!)));
      expect(took, `${n.url} still reports the revoked installation's tokens active after 1 s`).toBeGreaterThanOrEqual(0);
    }
  });

  it('with Redis, a change committed on one node reaches another at once, not at its next poll', async () => {
    if (!run) return;
    // Polling every 20 s: only the pub/sub nudge can make B see A's revocation within 1 s.
    const slow = { ...env, TESSERA_CACHE_SYNC_INTERVAL_MS: '20000' };
    const [c, d] = await Promise.all([startNode(slow), startNode(slow)]);
    nodes.push(c, d);
    const t = await token(c);
    expect((await introspect(d, t)).active).toBe(true);
    const r = await post(`${c.url}/oauth/revoke`, { token: t }, { authorization: basic('svc', SECRET) });
    expect(r.status).toBe(200);
    expect(await within(1000, async () => (await introspect(d, t)).active === false), 'no nudge arrived').toBeGreaterThanOrEqual(0);
  });
});
