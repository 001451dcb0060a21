import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { authenticateRequest, bearerAuth, checkScopes, createDpopNonces, MemoryReplayStore, createVerifier, DpopKey, fastifyBearerAuth, OAuthError, TokenClient, type TokenVerifier, type VerifiedToken } from '../src/index.js';
import { asksForNonce } from '../src/dpop.js';
import { countingFetch } from './support.js';

/**
 * DPoP end to end with the SDK (RFC 9449): TokenClient against a real Tessera with server nonces on, and the
 * verifier behind the Fastify and Express middleware as the resource server.
 */
const SECRET = 'sdk-dpop-secret-0123456';
const PASSWORD = 'correct horse battery';
const API = 'https://api.example';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    env: { TESSERA_DPOP_NONCE: 'true' },
    doc: {
      clients: [
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', audience: [API], dpop_bound_access_tokens: true },
        { client_id: 'spa', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read', audience: [API] },
      ],
      users: [{ id: 'u-ada', username: 'ada', password: PASSWORD }],
    },
  });
}, 30_000);
afterAll(async () => server?.stop());

describe('TokenClient with DPoP', () => {
  it('makes a non-extractable key, retries once on use_dpop_nonce, and gets a token bound to its key', async () => {
    const counting = countingFetch();
    const client = new TokenClient({ issuer: server.url, clientId: 'svc', clientSecret: SECRET, dpop: true, fetch: counting.fetch });
    const tokens = await client.getTokenSet();
    expect(tokens.token_type).toBe('DPoP');
    const key = await client.dpop()!;
    expect((key as unknown as { privateKey: CryptoKey }).privateKey.extractable).toBe(false);
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });
    // Discovery, then the token request twice (no nonce yet, then with it).
    expect(counting.count('/oauth/token')).toBe(2);
    await client.getAccessToken({ forceRefresh: true });
    // The nonce is remembered: one request this time.
    expect(counting.count('/oauth/token')).toBe(3);
  });

  it('binds a public client refresh to its key: another key cannot use the refresh token', async () => {
    const client = new TokenClient({ issuer: server.url, clientId: 'spa', dpop: await DpopKey.generate('ES256') });
    const login = await client.password({ username: 'ada', password: PASSWORD, scope: 'read' });
    expect(login.token_type).toBe('DPoP');
    const refreshed = await client.refresh(login.refresh_token!);
    expect(refreshed.token_type).toBe('DPoP');
    const thief = new TokenClient({ issuer: server.url, clientId: 'spa', dpop: true });
    const err = await thief.refresh(refreshed.refresh_token!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthError);
    expect((err as OAuthError).error).toBe('invalid_grant');
  });
});

describe('resource servers: verifier and middleware with DPoP', () => {
  let app: FastifyInstance;
  let express: Server;
  let verifier: TokenVerifier;
  let fastifyUrl: string;
  let expressUrl: string;

  beforeAll(async () => {
    verifier = createVerifier({ issuer: server.url, audience: API, dpop: { nonces: createDpopNonces() } });
    app = Fastify();
    await app.register(async (scope) => {
      await scope.register(fastifyBearerAuth, { verifier });
      scope.get('/things', async (request) => {
        const auth = (request as unknown as { auth: VerifiedToken }).auth;
        return { sub: auth.subject, jkt: auth.jkt };
      });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    fastifyUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const plainVerifier = createVerifier({ issuer: server.url, audience: API });
    const mw = bearerAuth({ verifier: plainVerifier });
    express = createServer((req, res) =>
      mw(req as never, res, () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ sub: (req as unknown as { auth: VerifiedToken }).auth.subject }));
      }),
    );
    await new Promise<void>((r) => express.listen(0, '127.0.0.1', r));
    expressUrl = `http://127.0.0.1:${(express.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
    express?.close();
  });

  it('accepts a DPoP-bound token with its proof, after the resource server nonce round trip (Fastify)', async () => {
    const counting = countingFetch();
    const client = new TokenClient({ issuer: server.url, clientId: 'svc', clientSecret: SECRET, dpop: true, fetch: counting.fetch });
    const res = await client.fetchResource(`${fastifyUrl}/things?page=2`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'svc', jkt: (await client.dpop()!).jkt });
    expect(counting.calls.filter((c) => c.url.startsWith(fastifyUrl)).map((c) => c.status)).toEqual([401, 200]);
  });

  it('accepts it through the Express middleware too (no nonces there)', async () => {
    const client = new TokenClient({ issuer: server.url, clientId: 'svc', clientSecret: SECRET, dpop: true });
    const res = await client.fetchResource(`${expressUrl}/x`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'svc' });
  });

  it('refuses a proof by another key, a replayed proof, a wrong htu, and the bound token as a bearer token', async () => {
    const client = new TokenClient({ issuer: server.url, clientId: 'svc', clientSecret: SECRET, dpop: true });
    const token = await client.getAccessToken();
    const url = `${expressUrl}/x`;
    const send = (headers: Record<string, string>) => fetch(url, { headers });
    const own = await client.authorizationHeaders('GET', url);

    const other = await DpopKey.generate();
    const forged = await send({ authorization: `DPoP ${token}`, dpop: await other.proof({ method: 'GET', url, accessToken: token }) });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof", error_description="[^"]*cnf.jkt[^"]*", algs="ES256/);

    expect((await send(own)).status).toBe(200);
    const replayed = await send(own);
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toContain('already used');

    const key = await client.dpop()!;
    const elsewhere = await send({ authorization: `DPoP ${token}`, dpop: await key.proof({ method: 'GET', url: `${expressUrl}/other`, accessToken: token }) });
    expect(elsewhere.headers.get('www-authenticate')).toContain('htu must be');

    const noAth = await send({ authorization: `DPoP ${token}`, dpop: await key.proof({ method: 'GET', url }) });
    expect(noAth.headers.get('www-authenticate')).toContain('ath');

    const junk = await send({ authorization: `DPoP ${token}`, dpop: 'junk.proof.here' });
    expect(junk.status).toBe(401);
    expect(junk.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof", error_description="[^"]*", algs="ES256/);

    // RFC 9449 §7.2: refused as a bearer token; the challenge names DPoP beside Bearer, so the client can tell.
    const asBearer = await send({ authorization: `Bearer ${token}` });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+", error="invalid_token", error_description="The access token is DPoP-bound[^"]*", DPoP algs="ES256[^"]*"$/);
    await expect(verifier.verify(token)).rejects.toThrow(/DPoP-bound/);
  });

  it('answers a request whose URL cannot be built (odd Host, absolute-form target) with 400 or 401, never a 500', async () => {
    const client = new TokenClient({ issuer: server.url, clientId: 'svc', clientSecret: SECRET, dpop: true });
    const token = await client.getAccessToken();
    const key = await client.dpop()!;
    const port = (express.address() as AddressInfo).port;
    const raw = (target: string, host: string, proof: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write([`GET ${target} HTTP/1.1`, `Host: ${host}`, 'Connection: close', `Authorization: DPoP ${token}`, `DPoP: ${proof}`, '', ''].join('\r\n')));
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
    const oddHost = await raw('/x', 'exa mple', await key.proof({ method: 'GET', url: `${expressUrl}/x`, accessToken: token }));
    expect(oddHost).toMatch(/^HTTP\/1\.1 400 /);
    expect(oddHost).toMatch(/\r\nwww-authenticate: DPoP error="invalid_request"/i);
    // RFC 9112 §3.2.2: an absolute-form target names the URL itself; the proof for that URL is accepted.
    const absolute = await raw(`${expressUrl}/x?y=1`, `127.0.0.1:${port}`, await key.proof({ method: 'GET', url: `${expressUrl}/x`, accessToken: token }));
    expect(absolute).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('checks the proof before the scopes: a missing proof is 401 invalid_dpop_proof, not 403; a scope refusal of a DPoP request is in the DPoP scheme', async () => {
    const client = new TokenClient({ issuer: server.url, clientId: 'svc', clientSecret: SECRET, dpop: true });
    const token = await client.getAccessToken();
    const key = await client.dpop()!;
    const url = `${API}/x`;
    const opts = { verifier: createVerifier({ issuer: server.url, audience: API }), publicUrl: API, requiredScopes: ['write'] };
    const facts = (dpop?: string) => ({ headers: { authorization: `DPoP ${token}`, ...(dpop ? { dpop } : {}) }, method: 'GET', url: '/x' });
    const noProof = await authenticateRequest(facts(), opts);
    expect(noProof.ok ? 200 : noProof.refusal.status).toBe(401);
    expect(noProof.ok ? '' : noProof.refusal.headers['www-authenticate']).toMatch(/^DPoP error="invalid_dpop_proof"/);
    const scoped = await authenticateRequest(facts(await key.proof({ method: 'GET', url, accessToken: token })), opts);
    expect(scoped.ok ? 200 : scoped.refusal.status).toBe(403);
    expect(scoped.ok ? '' : scoped.refusal.headers['www-authenticate']).toMatch(/^DPoP error="insufficient_scope", error_description="[^"]+", scope="write", algs="/);
    // The same when a route hook checks further scopes of a token a plugin verified (request.auth).
    if (!scoped.ok) {
      const verified = await opts.verifier.verifyRequest({ authorization: `DPoP ${token}`, dpop: await key.proof({ method: 'GET', url, accessToken: token }), method: 'GET', url });
      const route = checkScopes(verified, { verifier: opts.verifier, requiredScopes: ['write'] });
      expect(route.ok ? '' : route.refusal.headers['www-authenticate']).toMatch(/^DPoP error="insufficient_scope", error_description="[^"]+", scope="write", algs="/);
    }
  });

  it('refuses proofs outside the iat window, for another method, or of another typ; huge headers are 401 or 431, never 500', async () => {
    const pair = await generateKeyPair('ES256');
    const client = new TokenClient({ issuer: server.url, clientId: 'svc', clientSecret: SECRET, dpop: await DpopKey.fromKeyPair(pair) });
    const token = await client.getAccessToken();
    const { kty, crv, x, y } = await exportJWK(pair.publicKey);
    const url = `${expressUrl}/x`;
    const ath = decodeJwt((await client.authorizationHeaders('GET', url)).dpop!).ath as string;
    const proof = (claims: Record<string, unknown>, typ = 'dpop+jwt') =>
      new SignJWT({ htm: 'GET', htu: url, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000), ath, ...claims }).setProtectedHeader({ alg: 'ES256', typ, jwk: { kty, crv, x, y } }).sign(pair.privateKey);
    const send = async (dpop: string) => {
      const res = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop } });
      return { status: res.status, challenge: res.headers.get('www-authenticate') ?? '' };
    };
    expect((await send(await proof({}))).status).toBe(200);
    const now = Math.floor(Date.now() / 1000);
    for (const [claims, typ, reason] of [[{ iat: now - 120 }, 'dpop+jwt', 'too old'], [{ iat: now + 60 }, 'dpop+jwt', 'future'], [{ htm: 'POST' }, 'dpop+jwt', 'htm'], [{}, 'JWT', 'typ']] as const) {
      const r = await send(await proof(claims, typ));
      expect(r.status, reason).toBe(401);
      expect(r.challenge, reason).toMatch(new RegExp(`^DPoP error="invalid_dpop_proof", error_description="[^"]*${reason}`));
    }
    // Two DPoP headers reach Node joined by ", " (RFC 9449 §4.3: exactly one proof).
    const two = await send(`${await proof({})}, ${await proof({})}`);
    expect(two.status).toBe(401);
    expect(two.challenge).toMatch(/^DPoP error="invalid_dpop_proof", error_description="Send exactly one DPoP proof"/);
    const huge = await send('a'.repeat(12_000) + '.' + 'b'.repeat(100) + '.c');
    expect(huge.status).toBe(401);
    expect(huge.challenge).toMatch(/^DPoP error="invalid_dpop_proof"/);
    expect((await send('a'.repeat(20_000))).status).toBe(431);
  });

  it('MemoryReplayStore: a jti once, bounded memory that refuses rather than forgets, expired entries swept', () => {
    const store = new MemoryReplayStore(2);
    const later = Date.now() / 1000 + 60;
    expect(store.firstUse('a', later)).toBe(true);
    expect(store.firstUse('a', later)).toBe(false);
    expect(store.firstUse('b', Date.now() / 1000 - 1)).toBe(true);
    expect(store.firstUse('c', later)).toBe(true); // b had expired: swept
    expect(store.firstUse('d', later)).toBe(false); // full of live entries
  });

  it('a resource that requires DPoP challenges a Bearer request, or one without credentials, in the DPoP scheme only', async () => {
    const required = createVerifier({ issuer: server.url, audience: API, dpop: { required: true } });
    const token = await new TokenClient({ issuer: server.url, clientId: 'svc', clientSecret: SECRET, dpop: true }).getAccessToken();
    const facts = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization }, method: 'GET', url: '/x', protocol: 'https' });
    const bearer = await authenticateRequest(facts(`Bearer ${token}`), { verifier: required, publicUrl: API });
    expect(bearer.ok).toBe(false);
    if (bearer.ok) return;
    expect(bearer.refusal.status).toBe(401);
    expect(bearer.refusal.headers['www-authenticate']).toMatch(/^DPoP error="invalid_token", error_description="[^"]+", algs="ES256[^"]*"$/);
    const none = await authenticateRequest(facts(), { verifier: required, publicUrl: API });
    expect(none.ok ? undefined : none.refusal.headers['www-authenticate']).toMatch(/^DPoP algs="ES256[^"]*"$/);
  });

  it('answers use_dpop_nonce with a DPoP-Nonce header when the proof has no nonce (Fastify, nonces on)', async () => {
    const client = new TokenClient({ issuer: server.url, clientId: 'svc', clientSecret: SECRET, dpop: true });
    const token = await client.getAccessToken();
    const url = `${fastifyUrl}/things`;
    const res = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: await (await client.dpop()!).proof({ method: 'GET', url, accessToken: token }) } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP error="use_dpop_nonce"/);
    expect(res.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('TokenClient DPoP against a scripted server', () => {
  const TOKEN = 'https://as.example/token';
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

  it('retries a resource 401 whose DPoP use_dpop_nonce challenge follows a Bearer challenge (RFC 9449 §9, RFC 9110 §11.6.1)', async () => {
    const proofs: Array<string | null> = [];
    const fetchImpl = async (url: string, init: RequestInit) => {
      if (url === TOKEN) return json(200, { access_token: 'at-1', token_type: 'DPoP', expires_in: 300 });
      proofs.push(new Headers(init.headers).get('dpop'));
      if (proofs.length === 1) return new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="api", DPoP algs="ES256", error="use_dpop_nonce"', 'dpop-nonce': 'n-rs' } });
      return new Response('ok');
    };
    const client = new TokenClient({ tokenEndpoint: TOKEN, clientId: 'svc', clientSecret: 's', dpop: true, fetch: fetchImpl });
    const res = await client.fetchResource('https://api.example/things');
    expect(res.status).toBe(200);
    expect(proofs).toHaveLength(2);
    expect(decodeJwt(proofs[1]!).nonce).toBe('n-rs');
  });

  it('a proof: typ dpop+jwt, alg of the key, public jwk members only, htm/htu (no query, fragment), ath, fresh jti and iat (RFC 9449 §4.2)', async () => {
    const key = await DpopKey.generate('ES256');
    const input = { method: 'get', url: 'https://API.example:443/a/b?x=1#frag', accessToken: 'tok' };
    const [one, two] = [await key.proof(input), await key.proof(input)];
    const header = decodeProtectedHeader(one);
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
    expect(Object.keys(header.jwk!).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    const claims = decodeJwt(one);
    expect(claims).toMatchObject({ htm: 'GET', htu: 'https://api.example/a/b', ath: 'GnZ0607njffhrEOak8P6jjyUV4TU3sn9jjARc4svHWI' });
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(5);
    expect(decodeJwt(two).jti).not.toBe(claims.jti);
    // A key of another type than the alg says is refused when signing, never sent with a mismatched alg.
    const ed = (await generateKeyPair('EdDSA', { crv: 'Ed25519' })) as { privateKey: CryptoKey; publicKey: CryptoKey };
    await expect((await DpopKey.fromKeyPair(ed)).proof(input)).rejects.toThrow();
    expect(decodeProtectedHeader(await (await DpopKey.fromKeyPair(ed, 'EdDSA')).proof(input)).alg).toBe('EdDSA');
  });

  it('asksForNonce reads the DPoP challenge wherever it is, and only that one (quoted commas, scheme case)', () => {
    const h = (v: string) => new Headers({ 'www-authenticate': v, 'dpop-nonce': 'n' });
    expect(asksForNonce(401, h('dpop error_description="a, b=c", error="use_dpop_nonce"'), undefined)).toBe(true);
    expect(asksForNonce(401, h('Basic realm="x", DPoP algs="ES256 PS256", error=use_dpop_nonce'), undefined)).toBe(true);
    expect(asksForNonce(401, h('Bearer error="use_dpop_nonce", DPoP algs="ES256"'), undefined)).toBe(false);
    expect(asksForNonce(401, h('DPoP error="invalid_token", error_description="not use_dpop_nonce"'), undefined)).toBe(false);
    expect(asksForNonce(401, new Headers({ 'www-authenticate': 'DPoP error="use_dpop_nonce"' }), undefined)).toBe(false);
  });

  it('refuses a token_type DPoP answer to a request that carried no proof, and never sends a DPoP token as Bearer (RFC 9449 §5)', async () => {
    const fetchImpl = async () => json(200, { access_token: 'at-1', token_type: 'dpop', expires_in: 300 });
    const client = new TokenClient({ tokenEndpoint: TOKEN, clientId: 'svc', clientSecret: 's', fetch: fetchImpl });
    await expect(client.clientCredentials()).rejects.toThrow(/token_type/);
    client.setTokens({ access_token: 'at-1', token_type: 'DPoP', expires_in: 300, expiresAt: Date.now() + 300_000 });
    await expect(client.authorizationHeaders('GET', 'https://api.example/things')).rejects.toThrow(/DPoP/);
  });

  it('puts a DPoP-Nonce that came with a retried 503 into the retry\'s proof (RFC 9449 §8.2: the next token request)', async () => {
    const nonces: unknown[] = [];
    const fetchImpl = async (_url: string, init: RequestInit) => {
      nonces.push(decodeJwt(new Headers(init.headers).get('dpop')!).nonce);
      if (nonces.length === 1) return json(503, { error: 'temporarily_unavailable' }, { 'retry-after': '0', 'dpop-nonce': 'n-2' });
      return json(200, { access_token: 'at-1', token_type: 'DPoP', expires_in: 300 });
    };
    const client = new TokenClient({ tokenEndpoint: TOKEN, clientId: 'svc', clientSecret: 's', dpop: true, fetch: fetchImpl, retry: { baseDelayMs: 1 } });
    await client.clientCredentials();
    expect(nonces).toEqual([undefined, 'n-2']);
  });

  it('uses a Bearer answer to a DPoP request as a Bearer token (RFC 9449 §5: the server may decline to bind)', async () => {
    const fetchImpl = async () => json(200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 300 });
    const client = new TokenClient({ tokenEndpoint: TOKEN, clientId: 'svc', clientSecret: 's', dpop: true, fetch: fetchImpl });
    expect(await client.authorizationHeaders('GET', 'https://api.example/things')).toEqual({ authorization: 'Bearer at-1' });
  });
});
