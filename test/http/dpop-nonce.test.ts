import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { makeDpopKey, makeProof, type DpopKey } from '../support/dpop.js';

/** RFC 9449 §8 server nonces at the token endpoint (TESSERA_DPOP_NONCE=true). */
const SECRET = 'dpop-nonce-secret-0123456';
let s: TestServer;
let key: DpopKey;
let htu: string;

beforeAll(async () => {
  key = await makeDpopKey('ES256');
  s = await startTestServer({ env: { TESSERA_DPOP_NONCE: 'true' }, doc: { clients: [{ client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' }] } });
  htu = `${s.config.issuer}/oauth/token`;
}, 30_000);
afterAll(async () => s?.stop());

const cc = async (nonce?: string) => s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET), dpop: await makeProof(key, { htu, ...(nonce !== undefined ? { nonce } : {}) }) });

describe('DPoP server nonces', () => {
  it('answers a proof without a nonce with use_dpop_nonce and the nonce to use, then accepts it', async () => {
    const r = await cc();
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('use_dpop_nonce');
    const nonce = r.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.headers.get('www-authenticate')).toMatch(/^DPoP error="use_dpop_nonce"/);
    const ok = await cc(nonce!);
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe('DPoP');
    expect(ok.headers.get('dpop-nonce')).toBe(nonce);
  });

  it('answers a wrong nonce with use_dpop_nonce', async () => {
    const r = await cc('A'.repeat(43));
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('use_dpop_nonce');
    expect(r.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('still issues bearer tokens without any proof (nonces concern proofs only)', async () => {
    const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET) });
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('Bearer');
  });
});
