import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { generateSigningKey } from '../../src/keys/generate.js';
import type { SigningAlg } from '../../src/store/types.js';

/** RFC 8414 metadata, the RFC 7517 JWK Set, RFC 9068 tokens, key rotation per algorithm, per-client TTL. */
const SECRET = 'discovery-test-secret';
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read write' },
        { client_id: 'short', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'ping', access_token_ttl: 120 },
      ],
    },
  });
});
afterAll(async () => s.stop());

async function jwks(): Promise<JSONWebKeySet> {
  const res = await fetch(s.url + '/.well-known/jwks.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/jwk-set\+json/);
  return (await res.json()) as JSONWebKeySet;
}

async function token(client = 'svc'): Promise<string> {
  const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(client, SECRET) });
  expect(r.status).toBe(200);
  return r.body.access_token as string;
}

describe('metadata (RFC 8414)', () => {
  it('lists the issuer, endpoints, grants, auth methods and scopes', async () => {
    // scopes_supported follows the change feed (clients may be created by another process): poll until it has caught up.
    let m: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) {
      const res = await fetch(s.url + '/.well-known/oauth-authorization-server');
      expect(res.status).toBe(200);
      m = (await res.json()) as Record<string, unknown>;
      if ((m.scopes_supported as string[]).includes('ping')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(m.issuer).toBe(s.config.issuer);
    expect(m.issuer).toBe(s.url);
    expect(m.token_endpoint).toBe(`${s.url}/oauth/token`);
    expect(m.jwks_uri).toBe(`${s.url}/.well-known/jwks.json`);
    expect(m.grant_types_supported).toContain('client_credentials');
    expect(m.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
    expect(m.scopes_supported).toEqual(expect.arrayContaining(['read', 'write', 'ping']));
    expect(m.access_token_signing_alg_values_supported).toContain('ES256');
  });

  it('lists the signing algorithms of every endpoint that accepts JWT client authentication (RFC 8414 §2)', async () => {
    const m = (await (await fetch(s.url + '/.well-known/oauth-authorization-server')).json()) as Record<string, string[]>;
    for (const endpoint of ['token_endpoint', 'revocation_endpoint', 'introspection_endpoint']) {
      const methods = m[`${endpoint}_auth_methods_supported`]!;
      expect(methods).toEqual(expect.arrayContaining(['private_key_jwt', 'client_secret_jwt']));
      const algs = m[`${endpoint}_auth_signing_alg_values_supported`];
      expect(algs, endpoint).toEqual(expect.arrayContaining(['ES256', 'EdDSA', 'HS256']));
      expect(algs).not.toContain('none');
    }
  });

  // RFC 8414 §3.2: "Claims that return multiple values are represented as JSON arrays. Claims with zero elements
  // MUST be omitted from the response" (scopes_supported on a server without scopes). response_types_supported is
  // the exception: §2 makes it REQUIRED, and with no authorization endpoint it is the empty list.
  it('omits every claim with zero elements (RFC 8414 §3.2) but the REQUIRED response_types_supported', async () => {
    const m = (await (await fetch(s.url + '/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
    for (const [name, value] of Object.entries(m)) if (Array.isArray(value) && name !== 'response_types_supported') expect(value.length, name).toBeGreaterThan(0);
    expect(m.response_types_supported).toEqual([]);
    expect(m).not.toHaveProperty('authorization_endpoint');
    expect(m).not.toHaveProperty('code_challenge_methods_supported');
    const bare = await startTestServer();
    try {
      const b = (await (await fetch(bare.url + '/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
      for (const [name, value] of Object.entries(b)) if (Array.isArray(value) && name !== 'response_types_supported') expect(value.length, name).toBeGreaterThan(0);
      expect(b.issuer).toBe(bare.config.issuer);
    } finally {
      await bare.stop();
    }
  });

  it('is not served at the OpenID Connect path: Tessera is no OpenID Provider (docs/compatibility.md)', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(s.url + '/.well-known/openid-configuration', { method });
      expect(res.status, method).toBe(404);
    }
    const body = (await (await fetch(s.url + '/.well-known/openid-configuration')).json()) as Record<string, unknown>;
    expect(body.error).toBe('not_found');
    const m = (await (await fetch(s.url + '/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
    expect(m.id_token_signing_alg_values_supported).toBeUndefined();
  });

  it('every URL in it answers on this server', async () => {
    const m = (await (await fetch(s.url + '/.well-known/oauth-authorization-server')).json()) as Record<string, string>;
    expect((await fetch(m.jwks_uri!)).status).toBe(200);
    expect((await fetch(m.token_endpoint!, { method: 'POST' })).status).toBe(400);
  });
});

describe('metadata for an issuer with a path (RFC 8414 §3.1)', () => {
  // RFC 8414 §3.1: "If the issuer identifier value contains a path component, any terminating "/" MUST be removed
  // before inserting "/.well-known/" and the well-known URI suffix between the host component and the path
  // component." A proxy that forwards that URL as is must find the document here.
  let p: TestServer;
  beforeAll(async () => {
    p = await startTestServer({ env: { TESSERA_ISSUER: 'https://auth.example.com/tenant/a/' } });
  });
  afterAll(async () => p.stop());

  it('is served at the path-inserted URL, with the issuer exactly as configured (without the trailing slash)', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(p.url + '/.well-known/oauth-authorization-server/tenant/a', { method });
      expect(res.status, method).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    }
    const m = (await (await fetch(p.url + '/.well-known/oauth-authorization-server/tenant/a')).json()) as Record<string, unknown>;
    expect(m.issuer).toBe('https://auth.example.com/tenant/a');
    expect(m.token_endpoint).toBe('https://auth.example.com/tenant/a/oauth/token');
    // The host-level document is still served (a proxy that strips the prefix maps /tenant/a/.well-known/... to it).
    expect((await fetch(p.url + '/.well-known/oauth-authorization-server')).status).toBe(200);
    expect((await fetch(p.url + '/.well-known/oauth-authorization-server/other')).status).toBe(404);
  });

  it('passes oauth4webapi discovery, which derives the URL from the issuer and checks the issuer (§3.3)', async () => {
    const issuer = new URL('https://auth.example.com/tenant/a');
    // The client asks https://auth.example.com/.well-known/oauth-authorization-server/tenant/a; deliver it here.
    const toServer: typeof fetch = (input, init) => {
      const u = new URL(input instanceof Request ? input.url : String(input));
      expect(u.href).toBe('https://auth.example.com/.well-known/oauth-authorization-server/tenant/a');
      return fetch(p.url + u.pathname, init);
    };
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.customFetch]: toServer }));
    expect(as.issuer).toBe('https://auth.example.com/tenant/a');
  });
});

describe('metadata and JWKS for browser clients (CORS)', () => {
  it('both are public documents any origin may read: Access-Control-Allow-Origin *, no credentials', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/jwks.json']) {
      const res = await fetch(s.url + path, { headers: { origin: 'https://spa.example' } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(res.headers.get('access-control-allow-credentials'), path).toBeNull();
    }
  });
});

describe('access tokens (RFC 9068)', () => {
  it('carry typ at+jwt, kid and every required claim, and verify with the JWKS', async () => {
    const t = await token();
    const { payload, protectedHeader } = await jwtVerify(t, createLocalJWKSet(await jwks()), { issuer: s.config.issuer, typ: 'at+jwt', audience: s.config.issuer });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(typeof protectedHeader.kid).toBe('string');
    for (const claim of ['iss', 'sub', 'aud', 'client_id', 'scope', 'iat', 'exp', 'jti']) expect(payload).toHaveProperty(claim);
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it('a tampered token does not verify', async () => {
    const t = await token();
    const [h, p, sig] = t.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url')}.${sig}`;
    await expect(jwtVerify(forged, createLocalJWKSet(await jwks()))).rejects.toThrow();
  });

  it('the per-client TTL is honoured in expires_in and exp', async () => {
    const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('short', SECRET) });
    expect(r.body.expires_in).toBe(120);
    const { payload } = await jwtVerify(r.body.access_token as string, createLocalJWKSet(await jwks()));
    expect(payload.exp! - payload.iat!).toBe(120);
  });

  it('every token has its own jti', async () => {
    const ids = new Set<unknown>();
    for (let i = 0; i < 5; i++) ids.add((await jwtVerify(await token(), createLocalJWKSet(await jwks()))).payload.jti);
    expect(ids.size).toBe(5);
  });
});

describe('key rotation', () => {
  for (const alg of ['EdDSA', 'RS256', 'ES256'] as SigningAlg[]) {
    it(`rotating to ${alg}: new tokens use the new key, the retired key stays published and its tokens still verify`, async () => {
      const before = await token();
      const oldKid = decodeProtectedHeader(before).kid;
      const key = await generateSigningKey(alg, s.masterKey.key);
      await s.ctx.store.keys.rotate(key, Math.floor(Date.now() / 1000) + 3600);
      await s.ctx.keys.reload();
      const after = await token();
      const header = decodeProtectedHeader(after);
      expect(header).toMatchObject({ alg, kid: key.kid, typ: 'at+jwt' });
      const set = await jwks();
      const kids = set.keys.map((k) => k.kid);
      expect(kids).toContain(key.kid);
      expect(kids).toContain(oldKid);
      const local = createLocalJWKSet(set);
      expect((await jwtVerify(after, local, { issuer: s.config.issuer })).protectedHeader.alg).toBe(alg);
      await jwtVerify(before, local, { issuer: s.config.issuer });
      const m = (await (await fetch(s.url + '/.well-known/oauth-authorization-server')).json()) as { access_token_signing_alg_values_supported: string[] };
      expect(m.access_token_signing_alg_values_supported).toContain(alg);
    });
  }

  it('a retired key whose publication window has passed leaves the JWKS', async () => {
    const keys = await s.ctx.store.keys.list();
    const retired = keys.filter((k) => k.status === 'retired');
    expect(retired.length).toBeGreaterThan(0);
    const key = await generateSigningKey('ES256', s.masterKey.key);
    // Publish-until in the past: every key retired now is already past its window.
    await s.ctx.store.keys.rotate(key, Math.floor(Date.now() / 1000) - 10);
    await s.ctx.keys.reload();
    const kids = (await jwks()).keys.map((k) => k.kid);
    expect(kids).toContain(key.kid);
    const previousActive = keys.find((k) => k.status === 'active')!;
    expect(kids).not.toContain(previousActive.kid);
  });
});
