import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { Store } from '../../src/store/types.js';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL, type TestDatabase } from '../support/services.js';
import { basic, ensureBuilt, newMasterKey, post, sleep, startNode, writeDoc, type Node } from './support.js';

/**
 * Two nodes on one PostgreSQL database, both rotating the signing key every 3 s with 1 s of pre-publication,
 * race for every step for about ten seconds. Exactly one of them performs each rotation: one new key per
 * period, one publication and one activation event each, and both nodes sign with the same keys.
 */
const SECRET = 'key-schedule-secret-0123456789';
const ROTATE_EVERY = 3;

let run = false;
let db: TestDatabase;
let store: Store | undefined;
let a: Node | undefined;
let b: Node | undefined;

beforeAll(async () => {
  run = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);
  if (!run) return;
  await ensureBuilt();
  db = await createTestDatabase();
  const env = {
    TESSERA_DATABASE_URL: db.url,
    TESSERA_MASTER_KEY: newMasterKey(),
    TESSERA_ISSUER: 'https://auth.key-schedule.test',
    TESSERA_DATABASE_POOL_SIZE: '3',
    TESSERA_KEYS_ROTATE_EVERY: `${ROTATE_EVERY}s`,
    TESSERA_KEYS_PRE_PUBLISH: '1s',
    TESSERA_MAX_ACCESS_TOKEN_TTL: '60',
    TESSERA_ACCESS_TOKEN_TTL: '60',
  };
  a = await startNode(env, ['--import', writeDoc({ clients: [{ client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' }] })]);
  b = await startNode(env);
  store = await openPostgresStore(db.url, { poolSize: 2 });
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await store?.close();
  await db?.drop();
});

const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

describe('scheduled key rotation across two nodes on PostgreSQL', () => {
  it('racing nodes produce exactly one new key per period, and tokens of either node verify with the other\'s JWKS', async () => {
    if (!run) return;
    const tokens: Array<{ node: 'a' | 'b'; token: string }> = [];
    const until = Date.now() + 10_500;
    while (Date.now() < until) {
      for (const [name, n] of [['a', a!], ['b', b!]] as const) {
        const r = await post(`${n.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET) });
        expect(r.status).toBe(200);
        tokens.push({ node: name, token: r.body.access_token as string });
      }
      await sleep(150);
    }
    // The nodes write audit events in batches (100 ms), and the schedule keeps running while this reads: a key
    // activated just before the read has its event still in a node's batch. Read the keys, then the events, until
    // the events cover every key read (a few ticks at most; a loaded host delays the batches).
    const readBoth = async () => {
      const keys = await store!.keys.list();
      const events = await store!.events.query({ type: 'key.rotated', limit: 1000 });
      const covered = new Set(events.map((e) => `${String(e.details.stage)}:${String(e.details.kid)}`));
      const settled = keys.filter((k) => k.activatesAt !== null).every((k) => covered.has(`published:${k.kid}`) && (k.status === 'pending' || covered.has(`activated:${k.kid}`)));
      return { keys, events, settled };
    };
    let read = await readBoth();
    for (let i = 0; i < 25 && !read.settled; i++) read = await sleep(200).then(readBoth);
    const { keys, events } = read;
    const activations = keys.map((k) => k.activatesAt ?? k.createdAt).sort((x, y) => x - y);
    // At least two rotations in ten seconds, each period's key alone: activations rotateEvery apart (ticks of
    // 250 ms can only make a period longer, never add a second key to one).
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < activations.length; i++) expect(activations[i]! - activations[i - 1]!).toBeGreaterThanOrEqual(ROTATE_EVERY);
    expect(keys.filter((k) => k.status === 'pending').length).toBeLessThanOrEqual(1);
    expect(keys.filter((k) => k.status === 'active').length).toBeLessThanOrEqual(2);

    // One publication and one activation event per scheduled key, whichever node performed it.
    const scheduled = keys.filter((k) => k.activatesAt !== null);
    const stage = (s: string) => events.filter((e) => e.details.stage === s).map((e) => e.details.kid).sort();
    expect(stage('published')).toEqual(scheduled.map((k) => k.kid).sort());
    expect(stage('activated')).toEqual(scheduled.filter((k) => k.status !== 'pending').map((k) => k.kid).sort());
    for (const e of events) expect(e.actor).toEqual({ kind: 'system', id: 'scheduler' });

    // Both nodes signed with several keys, and every token verifies with the other node's JWKS.
    for (const name of ['a', 'b'] as const) expect(new Set(tokens.filter((t) => t.node === name).map((t) => kidOf(t.token))).size).toBeGreaterThanOrEqual(2);
    const jwksOf = { a: createRemoteJWKSet(new URL(`${a!.url}/.well-known/jwks.json`)), b: createRemoteJWKSet(new URL(`${b!.url}/.well-known/jwks.json`)) };
    for (const t of tokens) await jwtVerify(t.token, jwksOf[t.node === 'a' ? 'b' : 'a'], { issuer: 'https://auth.key-schedule.test' });
  }, 60_000);
});
