import { request as httpRequest } from 'node:http';
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
  s = await startTestServer({
    env: { TESSERA_DPOP_NONCE: 'true' },
    doc: {
      clients: [
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'spa', token_endpoint_auth_method: 'none', grant_types: ['password'], scope: 'read', allowed_origins: ['https://app.example'] },
      ],
      users: [{ username: 'ada', password: 'correct horse battery' }],
    },
  });
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

  it('sends exactly one DPoP-Nonce header with use_dpop_nonce (RFC 9449 §8), no-store, and the challenge with algs', async () => {
    const url = new URL(`${s.url}/oauth/token`);
    const body = 'grant_type=client_credentials';
    const proof = await makeProof(key, { htu });
    const raw = await new Promise<{ status: number; rawHeaders: string[] }>((resolve, reject) => {
      httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('svc', SECRET), dpop: proof, 'content-length': body.length } }, (res) => {
        res.resume().on('end', () => resolve({ status: res.statusCode!, rawHeaders: res.rawHeaders }));
      }).on('error', reject).end(body);
    });
    expect(raw.status).toBe(400);
    const named = (name: string) => raw.rawHeaders.filter((_, i) => i % 2 === 1 && raw.rawHeaders[i - 1]!.toLowerCase() === name);
    expect(named('dpop-nonce')).toHaveLength(1);
    expect(named('cache-control')).toEqual(['no-store']);
    expect(named('www-authenticate')[0]).toMatch(/^DPoP error="use_dpop_nonce", error_description="[^"]+", algs="ES256( [A-Za-z0-9]+)*"$/);
  });

  it('lets a browser client read DPoP-Nonce and the challenge (Access-Control-Expose-Headers, RFC 9449 §8)', async () => {
    const r = await s.post('/oauth/token', { grant_type: 'password', client_id: 'spa', username: 'ada', password: 'correct horse battery' }, { origin: 'https://app.example', dpop: await makeProof(key, { htu }) });
    expect(r.body.error).toBe('use_dpop_nonce');
    expect(r.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(r.headers.get('access-control-expose-headers')?.split(/,\s*/).map((h) => h.toLowerCase())).toEqual(expect.arrayContaining(['dpop-nonce', 'www-authenticate']));
    const ok = await s.post('/oauth/token', { grant_type: 'password', client_id: 'spa', username: 'ada', password: 'correct horse battery' }, { origin: 'https://app.example', dpop: await makeProof(key, { htu, nonce: r.headers.get('dpop-nonce')! }) });
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe('DPoP');
    expect(ok.headers.get('access-control-expose-headers')).toMatch(/DPoP-Nonce/i);
  });
});
