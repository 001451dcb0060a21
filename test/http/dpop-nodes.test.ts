import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/services.js';
import { makeDpopKey, makeProof } from '../support/dpop.js';

/**
 * RFC 9449 §11.1 across nodes: two Tessera nodes on one PostgreSQL database (the store's replay guard, no Redis)
 * behind one external issuer URL and one master key. A nonce one node gave is accepted by the other (no shared
 * nonce state), and a proof spent on one node is refused on the other.
 */
const SECRET = 'dpop-nodes-secret-0123456';
const ISSUER = 'https://auth.example';
const pg = await postgresAvailable();

describe.runIf(pg)('DPoP proofs are single use across nodes', () => {
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Nodes of one deployment share the master key (signing keys are sealed under it in the shared store).
    const env = { TESSERA_DATABASE_URL: db.url, TESSERA_ISSUER: ISSUER, TESSERA_MASTER_KEY: 'ab'.repeat(32), TESSERA_DPOP_NONCE: 'true' };
    const doc = { clients: [{ client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' }] };
    a = await startTestServer({ env, doc });
    b = await startTestServer({ env });
  }, 60_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  it('accepts a proof for the external URL with the other node\'s nonce, and only once', async () => {
    const key = await makeDpopKey();
    const htu = `${ISSUER}/oauth/token`;
    const send = (node: TestServer, proof: string) => node.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET), dpop: proof });
    const asked = await send(a, await makeProof(key, { htu }));
    expect(asked.body.error).toBe('use_dpop_nonce');
    const proof = await makeProof(key, { htu, nonce: asked.headers.get('dpop-nonce')! });
    const first = await send(b, proof);
    expect(first.status).toBe(200);
    expect(first.body.token_type).toBe('DPoP');
    const replayed = await send(a, proof);
    expect(replayed.status).toBe(400);
    expect(replayed.body.error).toBe('invalid_dpop_proof');
    expect(replayed.body.error_description).toMatch(/already used/);
  });

  it('a race: each proof sent three times to each node at once is accepted exactly once', async () => {
    const key = await makeDpopKey();
    const htu = `${ISSUER}/oauth/token`;
    const send = (node: TestServer, proof: string) => node.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET), dpop: proof });
    const nonce = (await send(a, await makeProof(key, { htu }))).headers.get('dpop-nonce')!;
    const proofs = await Promise.all(Array.from({ length: 12 }, () => makeProof(key, { htu, nonce })));
    // Every send of every proof in flight together: both nodes group what arrives in one turn into one statement,
    // so copies of one proof meet in one batch and across batches of the two nodes.
    const answers = await Promise.all(proofs.flatMap((proof, i) => [a, b, a, b, a, b].map((node) => send(node, proof).then((r) => ({ i, status: r.status, error: r.body.error })))));
    for (let i = 0; i < proofs.length; i++) {
      const mine = answers.filter((r) => r.i === i);
      expect(mine.filter((r) => r.status === 200)).toHaveLength(1);
      expect(mine.filter((r) => r.status === 400 && r.error === 'invalid_dpop_proof')).toHaveLength(5);
    }
  });
});
