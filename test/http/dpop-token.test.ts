import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { hmacProof, makeDpopKey, makeProof, unsignedProof, type DpopKey } from '../support/dpop.js';

/**
 * RFC 9449 at the token endpoint: what a valid proof earns (token_type DPoP, cnf.jkt, introspection) and every
 * check of §4.3 failing on its own, each with invalid_dpop_proof and the DPoP challenge.
 */
const SECRET = 'dpop-secret-0123456789';
let s: TestServer;
let key: DpopKey;
let htu: string;

beforeAll(async () => {
  key = await makeDpopKey('ES256');
  s = await startTestServer({
    env: { TESSERA_PROFILES: 'knetik=/knetik' },
    doc: {
      clients: [
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', introspect_any: true },
        { client_id: 'opaque-svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', access_token_format: 'opaque' },
        { client_id: 'bound', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', dpop_bound_access_tokens: true },
      ],
    },
  });
  htu = `${s.config.issuer}/oauth/token`;
}, 30_000);
afterAll(async () => s?.stop());

const cc = (proof: string | undefined, client = 'svc', path = '/oauth/token') =>
  s.post(path, { grant_type: 'client_credentials' }, { authorization: basic(client, SECRET), ...(proof !== undefined ? { dpop: proof } : {}) });

function expectRefused(r: { status: number; headers: Headers; body: Record<string, unknown> }, description: RegExp): void {
  expect(r.status).toBe(400);
  expect(r.body.error).toBe('invalid_dpop_proof');
  expect(r.body.error_description).toMatch(description);
  expect(r.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof", error_description="[^"]+", algs="ES256 /);
  expect(r.headers.get('cache-control')).toBe('no-store');
}

describe('DPoP-bound tokens', () => {
  it('binds a client_credentials token: token_type DPoP, cnf.jkt the key thumbprint, introspection answers cnf', async () => {
    const r = await cc(await makeProof(key, { htu }));
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('DPoP');
    const claims = decodeJwt(r.body.access_token as string);
    expect(claims.cnf).toEqual({ jkt: key.jkt });
    const i = await s.post('/oauth/introspect', { token: r.body.access_token as string }, { authorization: basic('svc', SECRET) });
    expect(i.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
  });

  it('binds opaque tokens too (cnf is kept with the token and introspected)', async () => {
    const r = await cc(await makeProof(key, { htu }), 'opaque-svc');
    expect(r.body.token_type).toBe('DPoP');
    const i = await s.post('/oauth/introspect', { token: r.body.access_token as string }, { authorization: basic('opaque-svc', SECRET) });
    expect(i.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
  });

  it('issues a Bearer token without cnf when no proof is sent', async () => {
    const r = await cc(undefined);
    expect(r.body.token_type).toBe('Bearer');
    expect(decodeJwt(r.body.access_token as string).cnf).toBeUndefined();
    expect(r.headers.get('dpop-nonce')).toBeNull();
  });

  it('accepts EdDSA and RSA-PSS proofs, and an htu with a query, an upper-case host and the default form', async () => {
    for (const alg of ['EdDSA', 'PS256']) {
      const other = await makeDpopKey(alg);
      const r = await cc(await makeProof(other, { htu }));
      expect(r.status, alg).toBe(200);
      expect(decodeJwt(r.body.access_token as string).cnf).toEqual({ jkt: other.jkt });
    }
    const odd = `${htu.replace('127.0.0.1', '127.0.0.1')}?x=1#frag`.replace('http://', 'HTTP://');
    expect((await cc(await makeProof(key, { htu: odd }))).status).toBe(200);
  });

  it('checks htu under a profile prefix against the URL as called', async () => {
    const prefixed = `${s.config.issuer}/knetik/oauth/token`;
    expect((await cc(await makeProof(key, { htu: prefixed }), 'svc', '/knetik/oauth/token')).status).toBe(200);
    expectRefused(await cc(await makeProof(key, { htu }), 'svc', '/knetik/oauth/token'), /htu must be .*\/knetik\/oauth\/token/);
  });

  it('advertises dpop_signing_alg_values_supported in the metadata', async () => {
    const m = (await (await fetch(`${s.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(m.dpop_signing_alg_values_supported).toEqual(['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'PS256']);
  });
});

describe('DPoP proof refusals (RFC 9449 §4.3)', () => {
  it('refuses a typ other than dpop+jwt', async () => {
    expectRefused(await cc(await makeProof(key, { htu, typ: 'JWT' })), /typ dpop\+jwt/);
  });

  it('refuses alg none and a symmetric alg', async () => {
    expectRefused(await cc(unsignedProof(key, htu)), /alg must be one of/);
    expectRefused(await cc(hmacProof('k'.repeat(32), htu)), /alg must be one of/);
  });

  it('refuses a jwk with private key members', async () => {
    const full = await makeDpopKey('ES256');
    const { exportJWK } = await import('jose');
    const privateJwk = await exportJWK(full.privateKey);
    expectRefused(await cc(await makeProof(full, { htu, jwk: privateJwk })), /public key/);
  });

  it('refuses a signature that its jwk does not verify', async () => {
    const other = await makeDpopKey('ES256');
    expectRefused(await cc(await makeProof(other, { htu, jwk: key.publicJwk })), /signature/);
  });

  it('refuses a wrong htm and a wrong htu', async () => {
    expectRefused(await cc(await makeProof(key, { htu, htm: 'GET' })), /htm must be POST/);
    expectRefused(await cc(await makeProof(key, { htu: 'https://elsewhere.example/oauth/token' })), /htu must be/);
    expectRefused(await cc(await makeProof(key, { htu: `${s.config.issuer}/oauth/revoke` })), /htu must be/);
  });

  it('refuses a stale and a future iat', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectRefused(await cc(await makeProof(key, { htu, iat: now - 120 })), /too old/);
    expectRefused(await cc(await makeProof(key, { htu, iat: now + 600 })), /future/);
  });

  it('refuses a replayed proof (same jti), and reports it as a security event', async () => {
    const proof = await makeProof(key, { htu });
    expect((await cc(proof)).status).toBe(200);
    const events: Array<{ type: string; details: Record<string, unknown> }> = [];
    s.ctx.events.addSink({ name: 'test', accept: (e) => events.push(e as never) });
    expectRefused(await cc(proof), /already used/);
    expect(events.some((e) => e.type === 'dpop.proof_rejected' && e.details.reason === 'replayed_jti')).toBe(true);
  });

  it('refuses a malformed proof and two DPoP headers', async () => {
    expectRefused(await cc('not-a-jwt'), /compact JWS/);
    const proof = await makeProof(key, { htu });
    expectRefused(await cc(`${proof}, ${proof}`), /exactly one DPoP header/);
  });

  it('does not spend the jti of a request whose client authentication fails', async () => {
    const proof = await makeProof(key, { htu });
    const bad = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', 'wrong'), dpop: proof });
    expect(bad.status).toBe(401);
    expect((await cc(proof)).status).toBe(200);
  });

  it('refuses a bearer request from a client registered with dpop_bound_access_tokens', async () => {
    expectRefused(await cc(undefined, 'bound'), /must send a DPoP proof/);
    const ok = await cc(await makeProof(key, { htu }), 'bound');
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe('DPoP');
  });
});
