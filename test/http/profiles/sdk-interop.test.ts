import { createRequire } from 'node:module';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeApiKey, type TestApiKey } from '../../support/cobo.js';
import { jwks, makeKey, nowSeconds, sign, startPeer, type Peer, type TestKey } from '../../support/peer.js';
import { startTestServer, type TestServer } from '../../support/server.js';

/**
 * Tessera driven by the seed platforms' own published SDKs, unchanged, over real sockets: `@knetik/knetikcloud-sdk`
 * 3.0.10 (`Access_TokenApi.getOAuthToken`) and `@cobo/cobo-waas2` 1.8.0 (`OAuthApi.getToken` / `refreshToken`,
 * signing every request itself with fresh nonces, on both curves, with and without its `_` cache-buster).
 * The *-wire tests replay recordings of these SDKs byte for byte; this file checks the live SDKs still agree: what
 * they send is accepted, what Tessera answers is what they resolve with, and every refusal makes them reject with
 * the status of the RFC 6749 §5.2 error. (SMSCX's SDK is Python; its wire contract is in smscx*.test.ts.)
 */

interface SdkError {
  status?: number;
  response?: { body?: unknown };
}

interface KnetikTokenApi {
  getOAuthToken(grantType: string, clientId: string, opts?: Record<string, string | undefined>): Promise<Record<string, unknown>>;
}
interface KnetikSdk {
  ApiClient: new () => { basePath: string };
  Access_TokenApi: new (client: { basePath: string }) => KnetikTokenApi;
}

interface CoboApiClient {
  cache: boolean;
  setEnv(env: unknown): void;
  setPrivateKey(hex: string, curve?: 'ED25519' | 'SECP256K1'): void;
}
interface CoboOAuthApi {
  getToken(clientId: string, orgId: string, grantType: string): Promise<Record<string, unknown>>;
  refreshToken(body: unknown): Promise<Record<string, unknown>>;
}
interface CoboSdk {
  ApiClient: new () => CoboApiClient;
  Env: new (basePath: string) => unknown;
  OAuthApi: new (client: CoboApiClient) => CoboOAuthApi;
  RefreshTokenRequest: { constructFromObject(data: Record<string, string>): unknown };
}

const require = createRequire(import.meta.url);
const Knetik = require('@knetik/knetikcloud-sdk') as KnetikSdk;
const Cobo = require('@cobo/cobo-waas2') as CoboSdk;

const SERVER_SECRET = 'sdk-interop-server-secret';
const PASSWORD = 'p@ss word+&=1 ünï';
const ORG = '3f1c0a52-8d9e-4f5b-a1c2-7e6d5c4b3a29';
const ORG2 = '9b2e4d61-0c3f-4a7e-b5d8-1f2a3b4c5d6e';
const GOOGLE_CLIENT = 'sdk-interop.apps.googleusercontent.com';

let s: TestServer;
let idp: Peer;
let googleKey: TestKey;
let ed: TestApiKey;
let k1: TestApiKey;
let verifyJwt: (token: string) => Promise<JWTPayload>;

beforeAll(async () => {
  // The Cobo SDK prints every string it signs (console.log('strToSign:', ...)); keep the test output readable.
  const log = console.log.bind(console);
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    if (args[0] !== 'strToSign:') log(...args);
  });
  googleKey = await makeKey('google-1', 'RS256');
  idp = await startPeer({
    '/certs': () => ({ body: jwks(googleKey) }),
    '/debug_token': (r) => {
      const valid = r.query.get('input_token') === 'fb-user-token' && r.query.get('access_token') === '4321|fb-app-secret';
      return { body: { data: valid ? { app_id: '4321', user_id: 'fb-1', is_valid: true, expires_at: 0 } : { is_valid: false } } };
    },
  });
  ed = makeApiKey('ed25519');
  k1 = makeApiKey('secp256k1');
  s = await startTestServer({
    env: { TESSERA_PROFILES: 'knetik=/knetik,cobo=/v2' },
    doc: {
      clients: [
        { client_id: 'server-app', client_secret: SERVER_SECRET, token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], scope: 'read write' },
        // The SDK's default client id: a public client for the password, refresh and social grants.
        { client_id: 'knetik', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token', 'google', 'facebook'], scope: 'read write' },
        { client_id: 'cobo-app', token_endpoint_auth_method: 'request_signature', grant_types: ['org_implicit', 'refresh_token'], scope: 'wallet:read wallet:write', api_keys: [ed.publicHex, k1.publicHex] },
      ],
      users: [{ id: 'u-jdoe', username: 'jdoe', password: PASSWORD, scope: 'read write' }],
      organizations: [
        { id: ORG, name: 'SDK interop org' },
        { id: ORG2, name: 'Second org' },
      ],
      installations: [
        { org_id: ORG, client_id: 'cobo-app', scope: 'wallet:read' },
        { org_id: ORG2, client_id: 'cobo-app', scope: 'wallet:read wallet:write' },
      ],
      identity_providers: [
        { name: 'google', type: 'oidc', issuer: idp.url, jwks_uri: `${idp.url}/certs`, audiences: [GOOGLE_CLIENT], algorithms: ['RS256'], auto_provision: true },
        { name: 'facebook', type: 'introspection', format: 'facebook', endpoint: `${idp.url}/debug_token`, app_id: '4321', app_token: '4321|fb-app-secret', auto_provision: true },
      ],
    },
  });
  const keys = (await (await fetch(`${s.url}/.well-known/jwks.json`)).json()) as Parameters<typeof createLocalJWKSet>[0];
  const jwksSet = createLocalJWKSet(keys);
  verifyJwt = async (token) => (await jwtVerify(token, jwksSet, { issuer: s.config.issuer })).payload;
}, 30_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await s?.stop();
  await idp?.close();
});

/** Runs an SDK call that must reject; returns the HTTP status and body the SDK rejected with. */
async function rejection(call: () => Promise<unknown>): Promise<{ status: number | undefined; body: unknown }> {
  try {
    await call();
  } catch (e) {
    const err = e as SdkError;
    return { status: err.status, body: err.response?.body };
  }
  throw new Error('the SDK call resolved; a rejection was expected');
}

describe.each([
  ['at the root (the RFC endpoint)', ''],
  ['under the knetik profile', '/knetik'],
])('@knetik/knetikcloud-sdk getOAuthToken %s', (_label, prefix) => {
  const api = (): KnetikTokenApi => {
    const client = new Knetik.ApiClient();
    client.basePath = s.url + prefix;
    return new Knetik.Access_TokenApi(client);
  };

  it('client_credentials with the secret in the body resolves with a JWT access token', async () => {
    const t = await api().getOAuthToken('client_credentials', 'server-app', { clientSecret: SERVER_SECRET });
    expect(t.token_type).toBe('Bearer');
    // OAuth2Resource declares every field a String: the JSON number arrives as its string.
    expect(t.expires_in).toBe('3600');
    expect(t.scope).toBe('read write');
    expect((await verifyJwt(String(t.access_token))).client_id).toBe('server-app');
  });

  it('a wrong or empty secret rejects with 401 invalid_client', async () => {
    for (const clientSecret of ['not-the-secret', '']) {
      const r = await rejection(() => api().getOAuthToken('client_credentials', 'server-app', { clientSecret }));
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ error: 'invalid_client' });
    }
  });

  it('password, then refresh with rotation; the spent refresh token rejects with 400 invalid_grant', async () => {
    const login = await api().getOAuthToken('password', 'knetik', { username: 'jdoe', password: PASSWORD });
    expect((await verifyJwt(String(login.access_token))).sub).toBe('u-jdoe');
    expect(typeof login.refresh_token).toBe('string');
    const next = await api().getOAuthToken('refresh_token', 'knetik', { refreshToken: String(login.refresh_token) });
    expect(next.refresh_token).not.toBe(login.refresh_token);
    expect((await verifyJwt(String(next.access_token))).sub).toBe('u-jdoe');
    const reuse = await rejection(() => api().getOAuthToken('refresh_token', 'knetik', { refreshToken: String(login.refresh_token) }));
    expect(reuse.status).toBe(400);
    expect(reuse.body).toMatchObject({ error: 'invalid_grant' });
    // Reuse revoked the whole family: the token the rotation handed out is dead too.
    const family = await rejection(() => api().getOAuthToken('refresh_token', 'knetik', { refreshToken: String(next.refresh_token) }));
    expect(family.status).toBe(400);
  });

  it('a wrong password rejects with 400 invalid_grant', async () => {
    const r = await rejection(() => api().getOAuthToken('password', 'knetik', { username: 'jdoe', password: 'wrong' }));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('social grants: a Google ID token (grant_type=google) and a Facebook access token (grant_type=facebook)', async () => {
    const now = nowSeconds();
    const idToken = await sign(googleKey, { iss: idp.url, aud: GOOGLE_CLIENT, sub: 'google-42', iat: now, exp: now + 300 });
    const g = await api().getOAuthToken('google', 'knetik', { token: idToken });
    expect(g.token_type).toBe('Bearer');
    const f = await api().getOAuthToken('facebook', 'knetik', { token: 'fb-user-token' });
    expect(f.token_type).toBe('Bearer');
    const gSub = (await verifyJwt(String(g.access_token))).sub;
    const fSub = (await verifyJwt(String(f.access_token))).sub;
    expect(gSub).toBeTruthy();
    expect(fSub).toBeTruthy();
    expect(gSub).not.toBe(fSub);
    // The same Google account maps to the same Tessera user the next time.
    expect((await verifyJwt(String((await api().getOAuthToken('google', 'knetik', { token: idToken })).access_token))).sub).toBe(gSub);
  });

  it('a social token the provider does not vouch for rejects with 400 invalid_grant', async () => {
    const now = nowSeconds();
    const foreign = await sign(googleKey, { iss: idp.url, aud: 'another-app', sub: 'google-42', iat: now, exp: now + 300 });
    for (const [grant, token] of [['google', foreign], ['facebook', 'forged-token']] as const) {
      const r = await rejection(() => api().getOAuthToken(grant, 'knetik', { token }));
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: 'invalid_grant' });
    }
  });
});

describe.each([
  ['Ed25519 (the SDK default)', 'ED25519', true],
  ['Ed25519, cache-buster on', 'ED25519', false],
  ['secp256k1', 'SECP256K1', true],
  ['secp256k1, cache-buster on', 'SECP256K1', false],
] as const)('@cobo/cobo-waas2 OAuthApi, %s', (_label, curve, cache) => {
  const api = (key: string = (curve === 'ED25519' ? ed : k1).privateHex): CoboOAuthApi => {
    const client = new Cobo.ApiClient();
    client.setEnv(new Cobo.Env(s.url + '/v2'));
    client.setPrivateKey(key, curve);
    client.cache = cache;
    return new Cobo.OAuthApi(client);
  };
  const refreshBody = (refresh_token: string) => Cobo.RefreshTokenRequest.constructFromObject({ client_id: 'cobo-app', grant_type: 'refresh_token', refresh_token });

  it('getToken (signed GET, org_implicit) then refreshToken (signed JSON POST) resolve with org tokens', async () => {
    const t = await api().getToken('cobo-app', ORG, 'org_implicit');
    expect(t).toMatchObject({ token_type: 'Bearer', scope: 'wallet:read', expires_in: 3600 });
    const claims = await verifyJwt(String(t.access_token));
    expect(claims).toMatchObject({ sub: ORG, org_id: ORG, client_id: 'cobo-app', scope: 'wallet:read' });
    const r = await api().refreshToken(refreshBody(String(t.refresh_token)));
    expect(r).toMatchObject({ token_type: 'Bearer', scope: 'wallet:read', expires_in: 3600 });
    expect(r.refresh_token).not.toBe(t.refresh_token);
    expect((await verifyJwt(String(r.access_token))).org_id).toBe(ORG);
    const reuse = await rejection(() => api().refreshToken(refreshBody(String(t.refresh_token))));
    expect(reuse.status).toBe(400);
    expect(reuse.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('tokens for several organisations at once (calls that may share a millisecond, so a nonce) all resolve', async () => {
    // Different requests only: the same request twice with one nonce is a replay, whoever sends it.
    const tokens = await Promise.all([ORG, ORG2].map((org) => api().getToken('cobo-app', org, 'org_implicit')));
    const orgs = await Promise.all(tokens.map(async (t) => (await verifyJwt(String(t.access_token))).org_id));
    expect(orgs).toEqual([ORG, ORG2]);
    expect(tokens[1]!.scope).toBe('wallet:read wallet:write');
  });

  it('an empty org_id (dropped by the SDK) and an empty refresh body reject with 400 invalid_request', async () => {
    const noOrg = await rejection(() => api().getToken('cobo-app', '', 'org_implicit'));
    expect(noOrg.status).toBe(400);
    expect(noOrg.body).toMatchObject({ error: 'invalid_request' });
    const empty = await rejection(() => api().refreshToken({}));
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ error: 'invalid_request' });
  });

  it('an org the app is not installed in rejects with 400 invalid_grant', async () => {
    const r = await rejection(() => api().getToken('cobo-app', '00000000-0000-4000-8000-000000000000', 'org_implicit'));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('a key Tessera does not know rejects with 401 invalid_client', async () => {
    const stranger = makeApiKey(curve === 'ED25519' ? 'ed25519' : 'secp256k1');
    const unknown = await rejection(() => api(stranger.privateHex).getToken('cobo-app', ORG, 'org_implicit'));
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ error: 'invalid_client' });
  });
});
