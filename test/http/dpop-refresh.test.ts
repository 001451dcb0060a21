import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/services.js';
import { makeDpopKey, makeProof, type DpopKey } from '../support/dpop.js';

/**
 * RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key (stored with the family, so on both
 * engines), a confidential client's are not. A refresh without the key's proof fails and consumes nothing. A public
 * client's family started without a proof is bound by its first refresh that carries one.
 */
const PASSWORD = 'correct horse battery';
const SECRET = 'dpop-refresh-secret-0123';
const pg = await postgresAvailable();

const doc = {
  clients: [
    { client_id: 'spa', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read' },
    { client_id: 'web', client_secret: SECRET, grant_types: ['password', 'refresh_token'], scope: 'read' },
  ],
  users: [{ id: 'u-ada', username: 'ada', password: PASSWORD }],
};

describe.each([
  { engine: 'SQLite', run: true },
  { engine: 'PostgreSQL', run: pg },
])('DPoP-bound refresh tokens on $engine', ({ engine, run }) => {
  let s: TestServer;
  let db: TestDatabase | undefined;
  let key: DpopKey;
  let other: DpopKey;
  let htu: string;

  beforeAll(async () => {
    if (!run) return;
    db = engine === 'PostgreSQL' ? await createTestDatabase() : undefined;
    s = await startTestServer({ doc, env: db ? { TESSERA_DATABASE_URL: db.url } : {} });
    htu = `${s.config.issuer}/oauth/token`;
    key = await makeDpopKey('ES256');
    other = await makeDpopKey('ES256');
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    await db?.drop();
  });

  const login = async (client: string, proofKey?: DpopKey) =>
    s.post('/oauth/token', { grant_type: 'password', username: 'ada', password: PASSWORD, scope: 'read', ...(client === 'spa' ? { client_id: 'spa' } : {}) }, {
      ...(client === 'web' ? { authorization: basic('web', SECRET) } : {}),
      ...(proofKey ? { dpop: await makeProof(proofKey, { htu }) } : {}),
    });
  const refresh = async (client: string, token: string, proofKey?: DpopKey) =>
    s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: token, ...(client === 'spa' ? { client_id: 'spa' } : {}) }, {
      ...(client === 'web' ? { authorization: basic('web', SECRET) } : {}),
      ...(proofKey ? { dpop: await makeProof(proofKey, { htu }) } : {}),
    });

  it.runIf(run)('binds a public client family to its key: another key or no proof fails, the same key rotates', async () => {
    const first = await login('spa', key);
    expect(first.status).toBe(200);
    expect(first.body.token_type).toBe('DPoP');
    const rt = first.body.refresh_token as string;

    const stolen = await refresh('spa', rt, other);
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toBe('invalid_grant');

    const bare = await refresh('spa', rt);
    expect(bare.status).toBe(400);
    expect(bare.body.error).toBe('invalid_dpop_proof');
    expect(bare.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);

    // Neither refusal consumed the token: the holder of the key still refreshes (no reuse detection fired).
    const ok = await refresh('spa', rt, key);
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe('DPoP');
    expect(decodeJwt(ok.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
    // The successor is bound as well.
    expect((await refresh('spa', ok.body.refresh_token as string, other)).body.error).toBe('invalid_grant');
  });

  it.runIf(run)('leaves a confidential client family unbound: a refresh without a proof gets a Bearer token', async () => {
    const first = await login('web', key);
    expect(first.body.token_type).toBe('DPoP');
    const r = await refresh('web', first.body.refresh_token as string);
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('Bearer');
    const again = await refresh('web', r.body.refresh_token as string, other);
    expect(decodeJwt(again.body.access_token as string).cnf).toEqual({ jkt: other.jkt });
  });

  it.runIf(run)('binds a public client family started without a proof to the key of its first refresh with one', async () => {
    // RFC 9449 §5: "When an authorization server supporting DPoP issues a refresh token to a public client that
    // presents a valid DPoP proof at the token endpoint, the refresh token MUST be bound to the respective public key."
    const first = await login('spa');
    expect(first.body.token_type).toBe('Bearer');
    const bearerRefresh = await refresh('spa', first.body.refresh_token as string);
    expect(bearerRefresh.status).toBe(200);
    expect(bearerRefresh.body.token_type).toBe('Bearer');
    const upgraded = await refresh('spa', bearerRefresh.body.refresh_token as string, key);
    expect(upgraded.status).toBe(200);
    expect(upgraded.body.token_type).toBe('DPoP');
    const rt = upgraded.body.refresh_token as string;
    // From now on the family is bound to that key: no proof, or another key's, is refused and consumes nothing.
    expect((await refresh('spa', rt)).body.error).toBe('invalid_dpop_proof');
    expect((await refresh('spa', rt, other)).body.error).toBe('invalid_grant');
    const ok = await refresh('spa', rt, key);
    expect(ok.status).toBe(200);
    expect(decodeJwt(ok.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
  });

  it.runIf(run)('leaves a confidential client family started without a proof unbound after a refresh with one', async () => {
    const first = await login('web');
    const withKey = await refresh('web', first.body.refresh_token as string, key);
    expect(withKey.body.token_type).toBe('DPoP');
    const bare = await refresh('web', withKey.body.refresh_token as string);
    expect(bare.status).toBe(200);
    expect(bare.body.token_type).toBe('Bearer');
  });
});
