import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { startTestServer, type TestServer } from '../../support/server.js';
import { jwks, makeKey, nowSeconds, sign, startPeer, type Peer, type PeerAnswer, type TestKey } from '../../support/peer.js';

const APP_ID = '1234567890';
const APP_TOKEN = `${APP_ID}|app-secret-value`;

let s: TestServer;
let peer: Peer;
let google: TestKey;
/** What the Facebook stand-in says about each input_token. */
const fbTokens = new Map<string, Record<string, unknown>>();

function fbAnswer(token: string | null, appToken: string | null): PeerAnswer {
  if (appToken !== APP_TOKEN) return { status: 400, body: { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 } } };
  const data = token ? fbTokens.get(token) : undefined;
  return { body: { data: data ?? { is_valid: false, error: { code: 190, message: 'Invalid OAuth access token.' }, scopes: [] } } };
}

function wire(name: string): { body: string } {
  const fx = JSON.parse(readFileSync(new URL(`../../fixtures/wire/${name}.json`, import.meta.url), 'utf8')) as { request: { body: string } };
  return { body: fx.request.body };
}

async function verify(token: string) {
  const set = (await (await fetch(s.url + '/.well-known/jwks.json')).json()) as { keys: [] };
  return (await jwtVerify(token, createLocalJWKSet(set), { issuer: s.config.issuer })).payload;
}

beforeAll(async () => {
  google = await makeKey('g-1', 'RS256');
  peer = await startPeer({
    '/debug_token': (req) => fbAnswer(req.query.get('input_token'), req.query.get('access_token')),
    '/oauth2/v3/certs': () => ({ headers: { 'cache-control': 'public, max-age=21600' }, body: jwks(google) }),
  });
  const valid = { app_id: APP_ID, type: 'USER', application: 'Test', is_valid: true, scopes: ['email', 'public_profile'], user_id: '10150000000000001' };
  fbTokens.set('fb-test-access-token', { ...valid, expires_at: nowSeconds() + 3600, data_access_expires_at: nowSeconds() + 86400 });
  fbTokens.set('fb-never-expires', { ...valid, user_id: '10150000000000002', expires_at: 0 });
  fbTokens.set('fb-other-app', { ...valid, app_id: '999', expires_at: nowSeconds() + 3600 });
  fbTokens.set('fb-expired', { ...valid, expires_at: nowSeconds() - 3600 });
  fbTokens.set('fb-page-token', { ...valid, type: 'PAGE', expires_at: nowSeconds() + 3600 });
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'sdkcompat-web', token_endpoint_auth_method: 'none', grant_types: ['facebook', 'google', 'refresh_token'], scope: 'read write' },
        { client_id: 'fb-only', token_endpoint_auth_method: 'none', grant_types: ['facebook'], scope: 'read' },
        { client_id: 'broken-user', token_endpoint_auth_method: 'none', grant_types: ['fb-broken'], scope: 'read' },
      ],
      identity_providers: [
        { name: 'facebook', type: 'introspection', format: 'facebook', endpoint: `${peer.url}/debug_token`, app_id: APP_ID, app_token: APP_TOKEN, auto_provision: true },
        { name: 'google', type: 'oidc', issuer: 'https://accounts.google.com', additional_issuers: ['accounts.google.com'], jwks_uri: `${peer.url}/oauth2/v3/certs`, audiences: ['my-app.apps.googleusercontent.com'], auto_provision: true, link_verified_email: true },
        { name: 'fb-broken', type: 'introspection', format: 'facebook', endpoint: `${peer.url}/debug_token`, app_id: APP_ID, app_token: 'wrong|token', auto_provision: true },
      ],
    },
  });
}, 30_000);

afterAll(async () => {
  await s?.stop();
  await peer?.close();
});

const post = (body: string) => s.post('/oauth/token', body);

describe('KnetikCloud grant_type=<provider>&token=... (compatibility alias of token exchange)', () => {
  it('accepts the KnetikCloud SDK facebook request byte for byte', async () => {
    const r = await post(wire('knetik-facebook').body);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', scope: 'read write', expires_in: 3600 });
    expect(r.body.issued_token_type).toBeUndefined();
    expect(typeof r.body.refresh_token).toBe('string');
    const link = await s.ctx.store.userLinks.get('facebook', '10150000000000001');
    expect(await verify(r.body.access_token as string)).toMatchObject({ sub: link!.userId, idp: 'facebook', client_id: 'sdkcompat-web' });
    // The app token went to the provider, as Facebook expects; it is sealed at rest.
    const last = peer.requests.filter((q) => q.path === '/debug_token').at(-1)!;
    expect(last.query.get('access_token')).toBe(APP_TOKEN);
    const stored = await s.ctx.store.identityProviders.get('facebook');
    expect(stored!.config.app_token).toBeUndefined();
    expect(JSON.stringify(stored!.config)).not.toContain('app-secret-value');
    expect(typeof stored!.config.app_token_sealed).toBe('string');
  });

  it('accepts never-expiring tokens (expires_at 0)', async () => {
    expect((await post('grant_type=facebook&client_id=sdkcompat-web&token=fb-never-expires')).status).toBe(200);
  });

  it.each([
    ['an invalid token', 'fb-unknown', /not valid/],
    ['a token of another app', 'fb-other-app', /another app/],
    ['an expired token', 'fb-expired', /expired/],
    ['a page token', 'fb-page-token', /user token/],
  ])('rejects %s with invalid_grant', async (_what, token, description) => {
    const r = await post(`grant_type=facebook&client_id=sdkcompat-web&token=${token}`);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
    expect(r.body.error_description).toMatch(description);
  });

  it('answers 503 when our app token is refused by the provider (operator problem, not the caller)', async () => {
    const r = await post('grant_type=fb-broken&client_id=broken-user&token=fb-test-access-token');
    expect(r.status).toBe(503);
    expect(r.body.error).toBe('temporarily_unavailable');
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    // A client that does not list the provider is refused before any provider call.
    expect((await post('grant_type=fb-broken&client_id=sdkcompat-web&token=x')).body.error).toBe('unauthorized_client');
  });

  it('accepts the KnetikCloud SDK google request shape with a Google-style ID token', async () => {
    const now = nowSeconds();
    const idToken = await sign(google, {
      iss: 'https://accounts.google.com',
      azp: 'my-app.apps.googleusercontent.com',
      aud: 'my-app.apps.googleusercontent.com',
      sub: '110169484474386276334',
      email: 'someone@gmail.com',
      email_verified: true,
      iat: now,
      exp: now + 3600,
    });
    const r = await post(wire('knetik-google').body.replace('google-test-id-token', idToken));
    expect(r.status).toBe(200);
    const link = await s.ctx.store.userLinks.get('google', '110169484474386276334');
    const user = await s.ctx.store.users.get(link!.userId);
    expect(user).toMatchObject({ email: 'someone@gmail.com', emailVerified: true, passwordHash: null });
  });

  it("maps Google's two issuer spellings to the same user (additional_issuers)", async () => {
    const now = nowSeconds();
    const claims = { aud: 'my-app.apps.googleusercontent.com', sub: '2200', iat: now, exp: now + 3600 };
    const a = await post(`grant_type=google&client_id=sdkcompat-web&token=${await sign(google, { ...claims, iss: 'https://accounts.google.com' })}`);
    const b = await post(`grant_type=google&client_id=sdkcompat-web&token=${await sign(google, { ...claims, iss: 'accounts.google.com' })}`);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await verify(a.body.access_token as string)).sub).toBe((await verify(b.body.access_token as string)).sub);
    const other = await post(`grant_type=google&client_id=sdkcompat-web&token=${await sign(google, { ...claims, iss: 'https://evil.example' })}`);
    expect(other.body.error).toBe('invalid_grant');
  });

  it('rejects a Google ID token for another Google client id', async () => {
    const now = nowSeconds();
    const idToken = await sign(google, { iss: 'https://accounts.google.com', aud: 'another-app.apps.googleusercontent.com', sub: '1', iat: now, exp: now + 3600 });
    const r = await post(`grant_type=google&client_id=sdkcompat-web&token=${idToken}`);
    expect(r.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('requires the client to list the provider (or the token-exchange grant)', async () => {
    const r = await post('grant_type=google&client_id=fb-only&token=x.y.z');
    expect(r.body.error).toBe('unauthorized_client');
  });

  it('requires the token parameter and a known provider', async () => {
    expect((await post('grant_type=facebook&client_id=sdkcompat-web')).body.error).toBe('invalid_request');
    expect((await post('grant_type=myspace&client_id=sdkcompat-web&token=x')).body.error).toBe('unsupported_grant_type');
  });

  it('sees a provider added or removed at runtime (change feed invalidates the provider cache)', async () => {
    expect((await post('grant_type=late&client_id=sdkcompat-web&token=x')).body.error).toBe('unsupported_grant_type');
    await s.ctx.store.identityProviders.upsert({ name: 'late', type: 'oidc', config: { issuer: 'https://late.example', jwks_uri: `${peer.url}/oauth2/v3/certs`, audiences: ['a'] } });
    await expect.poll(async () => (await post('grant_type=late&client_id=sdkcompat-web&token=x')).body.error, { timeout: 5000 }).toBe('unauthorized_client');
    await s.ctx.store.identityProviders.delete('late');
    await expect.poll(async () => (await post('grant_type=late&client_id=sdkcompat-web&token=x')).body.error, { timeout: 5000 }).toBe('unsupported_grant_type');
  });
});
