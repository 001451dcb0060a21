import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { DiscoveryError, NoSessionError, OAuthError, OAuthTimeoutError, RefreshResponseLostError, RefreshTokenRejectedError, TOKEN_TYPE, TokenClient } from '../src/index.js';
import { countingFetch, freePort, loopback, lossyProxy, sleepUntil, type LoopbackServer } from './support.js';

const SECRET = 'svc-secret-0123';
const doc = {
  clients: [
    { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read write' },
    // RFC 6749 §2.3.1: id and secret are form-encoded inside Basic; these need it.
    { client_id: 'svc:odd+id', client_secret: 'p@ss w%rd:+&=é', grant_types: ['client_credentials'], scope: 'read' },
    { client_id: 'poster', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], scope: 'read' },
    { client_id: 'short', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', access_token_ttl: 4 },
    { client_id: 'limited', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', rate_limit: { points: 1, duration: 1 } },
    { client_id: 'app', client_secret: SECRET, grant_types: ['password', 'refresh_token'], scope: 'profile email' },
    // A client whose lost refresh answers are forgiven for 30 s (RFC 9700 §4.14.2 leaves the tolerance to the server).
    { client_id: 'app-retry', client_secret: SECRET, grant_types: ['password', 'refresh_token'], scope: 'profile', refresh_reuse_interval: 30 },
    { client_id: 'org-app', client_secret: SECRET, grant_types: ['org_implicit', 'refresh_token'], scope: 'wallet:read wallet:write' },
    { client_id: 'exchanger', client_secret: SECRET, grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'], scope: 'profile' },
  ],
  users: [{ username: 'alice', password: 'correct horse battery' }],
  organizations: [{ id: 'org-1', name: 'Org One' }],
  installations: [{ org_id: 'org-1', client_id: 'org-app', scope: 'wallet:read' }],
};

const IDP = 'https://idp.example';
let idpKey: CryptoKey;
let signerKey: CryptoKey;
let server: TestServer;
beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  idpKey = privateKey;
  const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
  const identity_providers = [{ name: 'idp', type: 'oidc', issuer: IDP, jwks: { keys: [jwk] }, audiences: ['tessera'], auto_provision: true }];
  const signer = await generateKeyPair('ES256');
  signerKey = signer.privateKey;
  const signerJwks = { keys: [{ ...(await exportJWK(signer.publicKey)), kid: 'signer-1', alg: 'ES256', use: 'sig' }] };
  const signers = [
    { client_id: 'signer', token_endpoint_auth_method: 'private_key_jwt', jwks: signerJwks, grant_types: ['client_credentials'], scope: 'read', access_token_format: 'opaque' },
    { client_id: 'signer-limited', token_endpoint_auth_method: 'private_key_jwt', jwks: signerJwks, grant_types: ['client_credentials'], scope: 'read', rate_limit: { points: 1, duration: 1 } },
  ];
  server = await startTestServer({ doc: { ...doc, clients: [...doc.clients, ...signers], identity_providers } });
});
afterAll(async () => {
  await server?.stop();
});

const client = (o: Partial<ConstructorParameters<typeof TokenClient>[0]> = {}) => new TokenClient({ issuer: server.url, clientId: 'svc', clientSecret: SECRET, ...o });

describe('grants and discovery', () => {
  it('discovers the endpoints from RFC 8414 metadata and runs client_credentials', async () => {
    const c = client();
    const metadata = await c.discover();
    expect(metadata.token_endpoint).toBe(`${server.url}/oauth/token`);
    const before = Date.now();
    const t = await c.clientCredentials({ scope: ['read'] });
    expect(t.token_type).toBe('Bearer');
    expect(t.scope).toBe('read');
    expect(t.access_token.split('.')).toHaveLength(3);
    expect(t.expiresAt).toBeGreaterThanOrEqual(before + t.expires_in! * 1000);
  });

  it('refuses metadata whose issuer is not the configured one (RFC 8414 §3.3)', async () => {
    const other = server.url.replace('127.0.0.1', 'localhost');
    const c = new TokenClient({ issuer: other, clientId: 'svc', clientSecret: SECRET });
    await expect(c.clientCredentials()).rejects.toBeInstanceOf(DiscoveryError);
  });

  it('form-encodes the client id and secret inside HTTP Basic', async () => {
    const t = await client({ clientId: 'svc:odd+id', clientSecret: 'p@ss w%rd:+&=é' }).clientCredentials();
    expect(t.scope).toBe('read');
  });

  it('authenticates with client_secret_post', async () => {
    const counting = countingFetch();
    const t = await client({ clientId: 'poster', authMethod: 'client_secret_post', fetch: counting.fetch, tokenEndpoint: `${server.url}/oauth/token` }).clientCredentials();
    expect(t.scope).toBe('read');
    expect(counting.count('/oauth/token')).toBe(1);
  });

  it('runs the password grant and the refresh grant', async () => {
    const c = client({ clientId: 'app' });
    const t = await c.password({ username: 'alice', password: 'correct horse battery', scope: 'profile' });
    expect(t.scope).toBe('profile');
    expect(typeof t.refresh_token).toBe('string');
    const r = await c.refresh(t.refresh_token!);
    expect(r.refresh_token).not.toBe(t.refresh_token);
    expect(r.access_token).not.toBe(t.access_token);
  });

  it('gets an organization token (org_implicit) with the installation scope', async () => {
    const t = await client({ clientId: 'org-app' }).orgToken({ orgId: 'org-1' });
    expect(t.scope).toBe('wallet:read');
    expect(typeof t.refresh_token).toBe('string');
    await expect(client({ clientId: 'org-app' }).orgToken({ orgId: 'org-nope' })).rejects.toMatchObject({ status: 400 });
  });
});

describe('private_key_jwt (RFC 7523) against Tessera', () => {
  it('authenticates the token, introspection and revocation requests with fresh assertions', async () => {
    const c = client({ clientId: 'signer', clientSecret: undefined, privateKey: signerKey, privateKeyId: 'signer-1' });
    const t = await c.clientCredentials();
    expect(t.scope).toBe('read');
    await expect(c.introspect(t.access_token)).resolves.toMatchObject({ active: true, client_id: 'signer' });
    await c.revoke(t.access_token);
    await expect(c.introspect(t.access_token)).resolves.toEqual({ active: false });
  });

  it('signs a new assertion for every retry (the server refuses a replayed jti)', async () => {
    const counting = countingFetch();
    const c = client({ clientId: 'signer-limited', clientSecret: undefined, privateKey: signerKey, fetch: counting.fetch, retry: { maxRetries: 4, baseDelayMs: 50, maxDelayMs: 5000 } });
    const tokens = await Promise.all([c.clientCredentials(), c.clientCredentials()]);
    expect(tokens.map((t) => t.scope)).toEqual(['read', 'read']);
    expect(counting.calls.filter((x) => x.url.endsWith('/oauth/token')).map((x) => x.status)).toContain(429);
  });
});

describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
  it('introspects its own tokens and revokes a refresh token', async () => {
    const c = client({ clientId: 'app' });
    const t = await c.password({ username: 'alice', password: 'correct horse battery' });
    await expect(c.introspect(t.access_token)).resolves.toMatchObject({ active: true, client_id: 'app', username: 'alice' });
    await expect(c.introspect(t.refresh_token!, 'refresh_token')).resolves.toMatchObject({ active: true });
    c.setTokens(t);
    await c.revoke(t.refresh_token!, 'refresh_token');
    await expect(c.introspect(t.refresh_token!, 'refresh_token')).resolves.toEqual({ active: false });
    await expect(c.refresh(t.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Revoking a token the session holds forgets the session.
    await expect(c.getAccessToken()).rejects.toMatchObject({ error: 'unauthorized_client' });
  });

  it('revoking an unknown token is not an error (RFC 7009 §2.2)', async () => {
    await expect(client().revoke('not-a-token-we-issued-0123456789')).resolves.toBeUndefined();
  });
});

describe('token exchange (RFC 8693)', () => {
  it('exchanges an identity provider ID token for an access token', async () => {
    const idToken = await new SignJWT({ email: 'bob@example.com' })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .setIssuer(IDP)
      .setSubject('bob-at-idp')
      .setAudience('tessera')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(idpKey);
    const t = await client({ clientId: 'exchanger' }).exchange({ subjectToken: idToken, subjectTokenType: TOKEN_TYPE.idToken, scope: 'profile' });
    expect(t.issued_token_type).toBe(TOKEN_TYPE.accessToken);
    expect(t.scope).toBe('profile');
    await expect(client({ clientId: 'exchanger' }).exchange({ subjectToken: idToken.slice(0, -3) + 'AAA', subjectTokenType: TOKEN_TYPE.idToken })).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

describe('errors', () => {
  it('throws a typed OAuthError with the status and X-Request-Id', async () => {
    const err = await client({ clientSecret: 'wrong-secret-1' }).clientCredentials().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthError);
    const e = err as OAuthError;
    expect(e.error).toBe('invalid_client');
    expect(e.status).toBe(401);
    expect(e.requestId).toMatch(/\S+/);
    expect(e.message).not.toContain('wrong-secret-1');
  });

  it('reports invalid_scope', async () => {
    await expect(client().clientCredentials({ scope: 'admin' })).rejects.toMatchObject({ error: 'invalid_scope', status: 400 });
  });

  it('wrong password is invalid_grant', async () => {
    await expect(client({ clientId: 'app' }).password({ username: 'alice', password: 'nope' })).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

describe('token management', () => {
  it('caches the token and serves 1,000 concurrent callers with one request (single flight)', async () => {
    const counting = countingFetch();
    const c = client({ fetch: counting.fetch });
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => c.getAccessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(counting.count('/oauth/token')).toBe(1);
    expect(await c.getAccessToken()).toBe(tokens[0]);
    expect(counting.count('/oauth/token')).toBe(1);
    const forced = await c.getAccessToken({ forceRefresh: true });
    expect(forced).not.toBe(tokens[0]);
    expect(counting.count('/oauth/token')).toBe(2);
  });

  it('renews ahead of expiry (skew capped at half the lifetime)', async () => {
    const counting = countingFetch();
    const c = client({ clientId: 'short', fetch: counting.fetch, refreshSkewSeconds: 30 });
    const first = await c.getTokenSet();
    expect(first.expires_in).toBe(4);
    expect(await c.getAccessToken()).toBe(first.access_token);
    expect(counting.count('/oauth/token')).toBe(1);
    // Effective skew is min(30 s, 4 s / 2) = 2 s: past that point the client renews although the token still lives.
    await sleepUntil(first.expiresAt! - 2000 + 50);
    // The renewal is single-flight too: a crowd arriving at the stale token sends one request.
    const crowd = await Promise.all(Array.from({ length: 1000 }, () => c.getTokenSet()));
    const renewedAt = Date.now();
    const second = crowd[0]!;
    expect(new Set(crowd.map((t) => t.access_token)).size).toBe(1);
    expect(second.access_token).not.toBe(first.access_token);
    expect(counting.count('/oauth/token')).toBe(2);
    expect(renewedAt).toBeLessThan(first.expiresAt!);
  });

  it('runs a managed org_implicit grant once, then renews with the rotated refresh token', async () => {
    const counting = countingFetch();
    const c = client({ clientId: 'org-app', fetch: counting.fetch, grant: { type: 'org_implicit', orgId: 'org-1' } });
    const first = await c.getTokenSet();
    expect(first.scope).toBe('wallet:read');
    c.invalidate();
    const second = await c.getTokenSet();
    c.invalidate();
    const third = await c.getTokenSet();
    const grants = counting.calls.filter((x) => x.url.endsWith('/oauth/token')).length;
    expect(grants).toBe(3);
    expect(new Set([first.refresh_token, second.refresh_token, third.refresh_token]).size).toBe(3);
    // The first refresh token was spent by the first renewal: the server must refuse it now.
    await expect(c.refresh(first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('uses and rotates the refresh token, and drops the session when the token is reused', async () => {
    const counting = countingFetch();
    const c = client({ clientId: 'app', fetch: counting.fetch, grant: null });
    await expect(c.getAccessToken()).rejects.toBeInstanceOf(NoSessionError);
    const login = await c.password({ username: 'alice', password: 'correct horse battery' });
    c.setTokens(login);
    expect(await c.getAccessToken()).toBe(login.access_token);

    c.invalidate();
    const renewed = await c.getTokenSet();
    expect(renewed.access_token).not.toBe(login.access_token);
    expect(renewed.refresh_token).not.toBe(login.refresh_token);
    expect(counting.calls.filter((x) => x.url.endsWith('/oauth/token'))).toHaveLength(2);

    // Someone replays the spent refresh token: the server revokes the family (RFC 9700 §4.14.2).
    await expect(c.refresh(login.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    c.invalidate();
    const err = await c.getAccessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefreshTokenRejectedError);
    expect((err as RefreshTokenRejectedError).error).toBe('invalid_grant');
    // The session is gone: nothing left to renew with.
    await expect(c.getAccessToken()).rejects.toBeInstanceOf(NoSessionError);
  });
});

describe('retries against real 429s', () => {
  it('waits for Retry-After and succeeds', async () => {
    const counting = countingFetch();
    const c = client({ clientId: 'limited', fetch: counting.fetch, retry: { maxRetries: 4, baseDelayMs: 50, maxDelayMs: 5000 } });
    const tokens = await Promise.all([c.clientCredentials(), c.clientCredentials(), c.clientCredentials()]);
    expect(new Set(tokens.map((t) => t.access_token)).size).toBe(3);
    const statuses = counting.calls.filter((x) => x.url.endsWith('/oauth/token')).map((x) => x.status);
    expect(statuses).toContain(429);
    expect(statuses.filter((x) => x === 200)).toHaveLength(3);
  });

  it('gives up with a typed 429 when retries are off', async () => {
    const c = client({ clientId: 'limited', retry: false });
    // One token a second: of three calls in the same instant at least one is refused, whatever the window phase.
    const results = await Promise.allSettled([c.clientCredentials(), c.clientCredentials(), c.clientCredentials()]);
    const err = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as OAuthError;
    expect(err).toBeInstanceOf(OAuthError);
    expect(err.error).toBe('too_many_requests');
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBeGreaterThanOrEqual(1);
  });

  it('does not wait longer than maxDelayMs: a longer Retry-After is thrown at once', async () => {
    const counting = countingFetch();
    const c = client({ clientId: 'limited', fetch: counting.fetch, retry: { maxRetries: 5, baseDelayMs: 10, maxDelayMs: 500 } });
    await c.discover();
    const results = await Promise.allSettled([c.clientCredentials(), c.clientCredentials(), c.clientCredentials()]);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({ status: 429 });
    // No retry was attempted for a 429 whose Retry-After (>= 1 s) exceeds the 500 ms bound.
    expect(counting.count('/oauth/token')).toBe(3);
  });
});

describe('timeouts and cancellation', () => {
  let hang: LoopbackServer;
  beforeAll(async () => {
    hang = await loopback(() => undefined); // accepts the request, never answers
  });
  afterAll(async () => {
    await hang.close();
  });

  it('aborts a request that takes longer than timeoutMs', async () => {
    const c = new TokenClient({ tokenEndpoint: `${hang.url}/oauth/token`, clientId: 'svc', clientSecret: SECRET, timeoutMs: 150 });
    const err = await c.clientCredentials().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthTimeoutError);
    expect(hang.requests.length).toBeGreaterThanOrEqual(1);
  });

  it("stops at the caller's signal", async () => {
    const c = new TokenClient({ tokenEndpoint: `${hang.url}/oauth/token`, clientId: 'svc', clientSecret: SECRET, timeoutMs: 60_000 });
    const controller = new AbortController();
    const pending = c.getAccessToken({ signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
  });
});

describe('503 temporarily_unavailable', () => {
  it('is retried after Retry-After, and surfaces as a typed error when retries run out', async () => {
    let n = 0;
    const peer = await loopback((_req, res) => {
      n++;
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-request-id', `req-${n}`);
      if (n % 3 !== 0) {
        res.statusCode = 503;
        res.setHeader('retry-after', '0');
        res.end(JSON.stringify({ error: 'temporarily_unavailable', error_description: 'database unavailable' }));
        return;
      }
      res.end(JSON.stringify({ access_token: `at-${n}`, token_type: 'Bearer', expires_in: 60 }));
    });
    try {
      const c = new TokenClient({ tokenEndpoint: `${peer.url}/token`, clientId: 'svc', clientSecret: SECRET, retry: { maxRetries: 2, baseDelayMs: 5 } });
      await expect(c.getAccessToken()).resolves.toBe('at-3');
      const once = new TokenClient({ tokenEndpoint: `${peer.url}/token`, clientId: 'svc', clientSecret: SECRET, retry: { maxRetries: 1, baseDelayMs: 5 } });
      const err = (await once.clientCredentials().catch((e: unknown) => e)) as OAuthError;
      expect(err).toBeInstanceOf(OAuthError);
      expect(err).toMatchObject({ error: 'temporarily_unavailable', status: 503, requestId: 'req-5', retryAfter: 0 });
      expect(peer.requests).toHaveLength(5);
    } finally {
      await peer.close();
    }
  });
});

describe('RFC 6749 §6 without rotation', () => {
  it('keeps the previous refresh token when the response has none', async () => {
    let n = 0;
    const peer = await loopback((_req, res) => {
      n++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: `at-${n}`, token_type: 'Bearer', expires_in: 3600 }));
    });
    try {
      const c = new TokenClient({ tokenEndpoint: `${peer.url}/token`, clientId: 'pub', grant: null });
      c.setTokens({ access_token: 'at-0', token_type: 'Bearer', refresh_token: 'rt-1', expires_in: 3600, expiresAt: Date.now() + 3_600_000 });
      c.invalidate();
      const t = await c.getTokenSet();
      expect(t.access_token).toBe('at-1');
      expect(t.refresh_token).toBe('rt-1');
      expect(new URLSearchParams(peer.requests[0]!.body).get('refresh_token')).toBe('rt-1');
      expect(new URLSearchParams(peer.requests[0]!.body).get('client_id')).toBe('pub');
    } finally {
      await peer.close();
    }
  });
});

describe('a refresh whose answer is lost (issue 18: mobile clients on bad networks)', () => {
  const login = (clientId: string) => client({ clientId }).password({ username: 'alice', password: 'correct horse battery' });
  const refreshesOf = (peer: LoopbackServer) => peer.requests.filter((r) => new URLSearchParams(r.body).get('grant_type') === 'refresh_token');
  const isRefresh = (body: URLSearchParams) => body.get('grant_type') === 'refresh_token';

  it('is not sent again after the server rotated the token (reuse interval 0): the family survives', async () => {
    let lost = 0;
    const proxy = await lossyProxy(server.url, (body) => isRefresh(body) && lost++ === 0);
    try {
      const c = client({ clientId: 'app', tokenEndpoint: `${proxy.url}/oauth/token`, grant: null });
      const tokens = await login('app');
      c.setTokens(tokens);
      c.invalidate();
      const err = await c.getAccessToken().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RefreshResponseLostError);
      expect((err as Error).cause).toBeInstanceOf(TypeError);
      // The session dropped the possibly spent refresh token instead of presenting it again (which the server
      // would take for reuse, revoking the family): the next call has nothing to renew with.
      await expect(c.getAccessToken()).rejects.toBeInstanceOf(NoSessionError);
      expect(refreshesOf(proxy)).toHaveLength(1);
      // So the family was never revoked: the access token the client holds is still good.
      await expect(client({ clientId: 'app' }).introspect(tokens.access_token)).resolves.toMatchObject({ active: true });
    } finally {
      await proxy.close();
    }
  });

  it.each([
    ['the connection is closed before any answer', (_req: unknown, res: { socket: { destroy(): void } | null }) => res.socket?.destroy()],
    ['no answer comes within timeoutMs', () => undefined],
  ])('is not sent again when %s, whether through the session or refresh()', async (_what, handler) => {
    const peer = await loopback(handler as Parameters<typeof loopback>[0]);
    try {
      const c = new TokenClient({ tokenEndpoint: `${peer.url}/token`, clientId: 'pub', grant: null, timeoutMs: 200, retry: { maxRetries: 3, baseDelayMs: 5 } });
      c.setTokens({ access_token: 'at-0', token_type: 'Bearer', refresh_token: 'rt-1', expires_in: 3600, expiresAt: Date.now() + 3_600_000 });
      c.invalidate();
      await expect(c.getAccessToken()).rejects.toBeInstanceOf(RefreshResponseLostError);
      await expect(c.getAccessToken()).rejects.toBeInstanceOf(NoSessionError);
      await expect(c.refresh('rt-2')).rejects.toBeInstanceOf(RefreshResponseLostError);
      expect(peer.requests.map((r) => new URLSearchParams(r.body).get('refresh_token'))).toEqual(['rt-1', 'rt-2']);
    } finally {
      await peer.close();
    }
  });

  it('a connection that was refused never carried the request: the session keeps the refresh token and uses it next time', async () => {
    const port = await freePort();
    const c = client({ clientId: 'app', tokenEndpoint: `http://127.0.0.1:${port}/oauth/token`, grant: null });
    const tokens = await login('app');
    c.setTokens(tokens);
    c.invalidate();
    const err = await c.getAccessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(err).not.toBeInstanceOf(RefreshResponseLostError);
    const proxy = await lossyProxy(server.url, () => false, port);
    try {
      const renewed = await c.getTokenSet();
      expect(renewed.refresh_token).not.toBe(tokens.refresh_token);
      expect(refreshesOf(proxy).map((r) => new URLSearchParams(r.body).get('refresh_token'))).toEqual([tokens.refresh_token]);
    } finally {
      await proxy.close();
    }
  });

  it('with refreshRetry (the server\'s reuse interval), is sent again with the same token and the family lives on', async () => {
    let lost = 0;
    const proxy = await lossyProxy(server.url, (body) => isRefresh(body) && lost++ === 0);
    try {
      const c = client({ clientId: 'app-retry', tokenEndpoint: `${proxy.url}/oauth/token`, grant: null, refreshRetry: { reuseIntervalSeconds: 30 }, retry: { baseDelayMs: 20 } });
      const tokens = await login('app-retry');
      c.setTokens(tokens);
      c.invalidate();
      const renewed = await c.getTokenSet();
      const sent = refreshesOf(proxy).map((r) => new URLSearchParams(r.body).get('refresh_token'));
      expect(sent).toEqual([tokens.refresh_token, tokens.refresh_token]);
      expect(renewed.refresh_token).not.toBe(tokens.refresh_token);
      // The retry replaced the successor the client never saw; the family is intact and the chain goes on.
      c.invalidate();
      const again = await c.getTokenSet();
      expect(again.refresh_token).not.toBe(renewed.refresh_token);
      await expect(client({ clientId: 'app-retry' }).introspect(again.access_token)).resolves.toMatchObject({ active: true });
    } finally {
      await proxy.close();
    }
  });

  it('with refreshRetry, stops sending before the reuse interval ends', async () => {
    const peer = await loopback((_req, res) => res.socket?.destroy());
    try {
      const c = new TokenClient({ tokenEndpoint: `${peer.url}/token`, clientId: 'pub', grant: null, refreshRetry: { reuseIntervalSeconds: 3 }, retry: { maxRetries: 50, baseDelayMs: 20, maxDelayMs: 100 } });
      const started = Date.now();
      await expect(c.refresh('rt-1')).rejects.toBeInstanceOf(RefreshResponseLostError);
      // Every attempt ended a second before the interval did (a generous bound: the point is that it stops).
      expect(Date.now() - started).toBeLessThan(3000);
      expect(peer.requests.length).toBeGreaterThan(1);
      expect(new Set(peer.requests.map((r) => new URLSearchParams(r.body).get('refresh_token')))).toEqual(new Set(['rt-1']));
    } finally {
      await peer.close();
    }
  });
});
