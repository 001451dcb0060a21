import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constantTimeEqual } from '../src/encoding.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { makeTestPki, type Issued, type TestPki } from '../../../test/support/certificates.js';
import { bearerAuth, createVerifier, fastifyBearerAuth, TokenClient, VerificationError, type TokenVerifier } from '../src/index.js';

/**
 * An undici Agent presenting a client certificate. Node's fetch is undici's, and Node 20 does not export its
 * Agent; the class of the global dispatcher (present once fetch has run) is that Agent, which is what
 * `new Agent({ connect: { cert, key } })` from the undici package gives an application.
 */
async function certificateAgent(connect: { ca: string; cert?: string; key?: string }): Promise<unknown> {
  await fetch('data:,').catch(() => undefined);
  const global = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')];
  const Agent = (global as { constructor: new (opts: unknown) => unknown }).constructor;
  return new Agent({ connect });
}

/** A resource server over TLS that asks for client certificates and protects / with the SDK's middleware. */
async function resourceServer(pki: TestPki, verifier: TokenVerifier): Promise<{ url: string; server: Server }> {
  const guard = bearerAuth({ verifier });
  const server = createServer({ cert: pki.server.cert, key: pki.server.key, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    guard(req, res, (err) => {
      res.statusCode = err ? 500 : 200;
      res.end(JSON.stringify({ ok: !err, client: (req as { auth?: { clientId?: string } }).auth?.clientId }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

function call(pki: TestPki, url: string, token: string, as?: Issued): Promise<{ status: number; challenge: string | undefined; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request(url, { ca: pki.ca.cert, agent: false, headers: { authorization: `Bearer ${token}` }, ...(as ? { cert: as.cert, key: as.key } : {}) }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'], body: JSON.parse(text) as Record<string, unknown> }));
    })
      .on('error', reject)
      .end();
  });
}

describe('SDK: mutual TLS (RFC 8705) end to end', () => {
  let pki: TestPki;
  let tessera: TestServer;
  let rs: { url: string; server: Server };
  let verifier: TokenVerifier;

  beforeAll(async () => {
    pki = makeTestPki();
    const clients = [{ client_id: 'svc', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_uri: 'spiffe://example.org/svc', grant_types: ['client_credentials'], scope: 'read' }];
    tessera = await startTestServer({ doc: { clients }, env: { TESSERA_TLS_CERT: pki.server.certFile, TESSERA_TLS_KEY: pki.server.keyFile, TESSERA_TLS_CLIENT_CA: pki.ca.certFile } });
    const toTessera = await certificateAgent({ ca: pki.ca.cert });
    verifier = createVerifier({ issuer: tessera.config.issuer, audience: tessera.config.issuer, fetch: (url, init) => fetch(url, { ...init, dispatcher: toTessera } as RequestInit) });
    rs = await resourceServer(pki, verifier);
  });
  afterAll(async () => {
    rs?.server.close();
    await tessera?.stop();
    pki?.remove();
  });

  it('TokenClient presents its certificate through a dispatcher and gets a bound token; the middleware accepts it over the same certificate', async () => {
    const client = new TokenClient({ issuer: tessera.config.issuer, clientId: 'svc', authMethod: 'tls_client_auth', dispatcher: await certificateAgent({ ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key }) });
    const token = await client.getAccessToken();
    const ok = await call(pki, rs.url, token, pki.client);
    expect(ok).toMatchObject({ status: 200, body: { ok: true, client: 'svc' } });

    const stolen = await call(pki, rs.url, token, pki.other);
    expect(stolen.status).toBe(401);
    expect(stolen.body).toEqual({ error: 'invalid_token', error_description: 'The access token is bound to another TLS client certificate' });
    expect(stolen.challenge).toMatch(/^Bearer realm=".*", error="invalid_token"/);

    const bare = await call(pki, rs.url, token);
    expect(bare.status).toBe(401);
    expect(bare.body.error_description).toMatch(/bound to a TLS client certificate .* presented none/);
  });

  it('a token bound to both a DPoP key and the certificate passes on plain node:https (htu https from the TLS socket), with both proofs', async () => {
    const client = new TokenClient({ issuer: tessera.config.issuer, clientId: 'svc', authMethod: 'tls_client_auth', dpop: true, dispatcher: await certificateAgent({ ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key }) });
    const token = await client.getAccessToken();
    const key = await client.dpop()!;
    const send = async (as?: Issued) => {
      const headers = { authorization: `DPoP ${token}`, dpop: await key.proof({ method: 'GET', url: rs.url, accessToken: token }) };
      return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        request(rs.url, { ca: pki.ca.cert, agent: false, headers, ...(as ? { cert: as.cert, key: as.key } : {}) }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
        })
          .on('error', reject)
          .end();
      });
    };
    expect(await send(pki.client)).toMatchObject({ status: 200, body: { ok: true, client: 'svc' } });
    expect(await send(pki.other)).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
  });

  it('the Fastify plugin checks the certificate of request.raw.socket the same way', async () => {
    const app: FastifyInstance = Fastify({ https: { cert: pki.server.cert, key: pki.server.key, requestCert: true, rejectUnauthorized: false } });
    try {
      await app.register(fastifyBearerAuth, { verifier });
      app.get('/', async (request) => ({ ok: true, client: (request as unknown as { auth: { clientId?: string } }).auth.clientId }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = `https://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;
      const client = new TokenClient({ issuer: tessera.config.issuer, clientId: 'svc', authMethod: 'tls_client_auth', dispatcher: await certificateAgent({ ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key }) });
      const token = await client.getAccessToken();
      expect(await call(pki, url, token, pki.client)).toMatchObject({ status: 200, body: { ok: true, client: 'svc' } });
      const stolen = await call(pki, url, token, pki.other);
      expect(stolen).toMatchObject({ status: 401, body: { error: 'invalid_token', error_description: 'The access token is bound to another TLS client certificate' } });
      expect(stolen.challenge).toMatch(/^Bearer realm=".*", error="invalid_token"/);
      expect((await call(pki, url, token)).body.error_description).toMatch(/presented none/);
    } finally {
      await app.close();
    }
  });

  it('compares thumbprints with a constant-time comparison that is still exact', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'ab')).toBe(false);
    expect(constantTimeEqual('', 'a')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });

  it('verify() checks the certificate given as PEM; unbound tokens need none', async () => {
    const client = new TokenClient({ issuer: tessera.config.issuer, clientId: 'svc', authMethod: 'tls_client_auth', dispatcher: await certificateAgent({ ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key }) });
    const token = await client.getAccessToken();
    await expect(verifier.verify(token, { clientCertificate: pki.client.cert })).resolves.toMatchObject({ clientId: 'svc' });
    await expect(verifier.verify(token, { clientCertificate: encodeURIComponent(pki.client.cert) })).resolves.toMatchObject({ clientId: 'svc' });
    await expect(verifier.verify(token, { clientCertificate: pki.other.cert })).rejects.toBeInstanceOf(VerificationError);
    await expect(verifier.verify(token, { clientCertificate: 'garbage' })).rejects.toThrow(/presented none/);
    await expect(verifier.verify(token)).rejects.toThrow(/presented none/);
    // The binding is checked before the scopes: a stolen token learns nothing about what it lacks (401, not 403).
    await expect(verifier.verify(token, { requiredScopes: ['admin'], clientCertificate: pki.other.cert })).rejects.toMatchObject({ error: 'invalid_token' });
    await expect(verifier.verify(token, { requiredScopes: ['admin'], clientCertificate: pki.client.cert })).rejects.toMatchObject({ error: 'insufficient_scope' });
  });

  it('a certificate-authenticating TokenClient sends its requests to mtls_endpoint_aliases when the metadata has them (RFC 8705 §5)', async () => {
    const agent = await certificateAgent({ ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key });
    // The same Tessera under its other certificate name (localhost), published as the alias host.
    const alias = tessera.config.issuer.replace('127.0.0.1', 'localhost');
    const urls: string[] = [];
    const withAliases = async (url: string, init?: RequestInit): Promise<Response> => {
      urls.push(url);
      const res = await fetch(url, { ...init, dispatcher: agent } as RequestInit);
      if (!url.includes('/.well-known/oauth-authorization-server')) return res;
      const metadata = (await res.json()) as Record<string, unknown>;
      const mtls_endpoint_aliases = { token_endpoint: `${alias}/oauth/token`, revocation_endpoint: `${alias}/oauth/revoke` };
      return new Response(JSON.stringify({ ...metadata, mtls_endpoint_aliases }), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const client = new TokenClient({ issuer: tessera.config.issuer, clientId: 'svc', authMethod: 'tls_client_auth', fetch: withAliases });
    const tokens = await client.clientCredentials();
    expect(urls).toContain(`${alias}/oauth/token`);
    await client.revoke(tokens.access_token);
    expect(urls).toContain(`${alias}/oauth/revoke`);
    // A client that does not authenticate with a certificate keeps the plain endpoints.
    const plain: string[] = [];
    const secretClient = new TokenClient({ issuer: tessera.config.issuer, clientId: 'nobody', clientSecret: 'x', fetch: async (url, init) => (plain.push(url), withAliases(url, init)) });
    await secretClient.clientCredentials().catch(() => undefined);
    expect(plain).toContain(`${tessera.config.issuer}/oauth/token`);
  });

  it('without a certificate the server refuses the client, and a tls method without a dispatcher is a TypeError', async () => {
    const client = new TokenClient({ issuer: tessera.config.issuer, clientId: 'svc', authMethod: 'tls_client_auth', dispatcher: await certificateAgent({ ca: pki.ca.cert }) });
    await expect(client.clientCredentials()).rejects.toMatchObject({ error: 'invalid_client' });
    expect(() => new TokenClient({ issuer: tessera.config.issuer, clientId: 'svc', authMethod: 'tls_client_auth' })).toThrow(TypeError);
  });
});

describe('SDK: mtls_endpoint_aliases for a certificate-bound client that authenticates otherwise (RFC 8705 §5)', () => {
  it('with mtls: true a client_secret client sends to the aliases; without it, to the plain endpoints', async () => {
    const issuer = 'https://as.example';
    const metadata = {
      issuer,
      token_endpoint: `${issuer}/token`,
      revocation_endpoint: `${issuer}/revoke`,
      mtls_endpoint_aliases: { token_endpoint: 'https://mtls.as.example/token', revocation_endpoint: 'https://mtls.as.example/revoke' },
    };
    const scripted = (urls: string[]) => async (url: string) => {
      urls.push(url);
      const body = url.includes('/.well-known/') ? metadata : url.endsWith('/token') ? { access_token: 'at', token_type: 'Bearer', expires_in: 60 } : {};
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const bound: string[] = [];
    const client = new TokenClient({ issuer, clientId: 'svc', clientSecret: 's', mtls: true, fetch: scripted(bound) });
    await client.revoke((await client.clientCredentials()).access_token);
    expect(bound.filter((u) => !u.includes('/.well-known/'))).toEqual(['https://mtls.as.example/token', 'https://mtls.as.example/revoke']);
    const plain: string[] = [];
    const other = new TokenClient({ issuer, clientId: 'svc', clientSecret: 's', fetch: scripted(plain) });
    await other.clientCredentials();
    expect(plain.filter((u) => !u.includes('/.well-known/'))).toEqual([`${issuer}/token`]);
  });
});
