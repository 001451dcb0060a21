import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { bearerAuth, bearerAuthHook, createVerifier, fastifyBearerAuth, TokenClient, type TokenVerifier, type VerifiedToken } from '../src/index.js';

const SECRET = 'middleware-secret-1';
const API = 'https://api.example';
const doc = {
  clients: [
    { client_id: 'reader', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', audience: [API] },
    { client_id: 'writer', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read write', audience: [API] },
  ],
};

let server: TestServer;
let verifier: TokenVerifier;
let readToken: string;
let writeToken: string;
beforeAll(async () => {
  server = await startTestServer({ doc });
  verifier = createVerifier({ issuer: server.url, audience: API });
  readToken = await new TokenClient({ issuer: server.url, clientId: 'reader', clientSecret: SECRET }).getAccessToken();
  writeToken = await new TokenClient({ issuer: server.url, clientId: 'writer', clientSecret: SECRET }).getAccessToken();
});
afterAll(async () => {
  await server?.stop();
});

type Call = (path: string, authorization?: string) => Promise<{ status: number; challenge: string | null; body: Record<string, unknown> }>;
const caller =
  (base: () => string): Call =>
  async (path, authorization) => {
    const res = await fetch(base() + path, { headers: authorization ? { authorization } : {} });
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body: (await res.json()) as Record<string, unknown> };
  };

/** The same RFC 6750 matrix for every integration. */
function rfc6750Matrix(call: () => Call) {
  it('200 with the verified token for a good token', async () => {
    const r = await call()('/things', `Bearer ${readToken}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ sub: 'reader', scopes: ['read'] });
  });

  it('401 with a bare challenge (no error code) when there are no credentials (RFC 6750 §3.1)', async () => {
    for (const auth of [undefined, 'Basic cmVhZGVyOng=']) {
      const r = await call()('/things', auth);
      expect(r.status).toBe(401);
      expect(r.challenge).toBe(`Bearer realm="${server.url}"`);
      // The body as the README states it: a description, no error code.
      expect(r.body).toEqual({ error_description: 'A bearer access token is required' });
    }
  });

  it('400 invalid_request for a malformed Bearer header', async () => {
    const r = await call()('/things', 'Bearer two words');
    expect(r.status).toBe(400);
    expect(r.challenge).toContain('error="invalid_request"');
  });

  it('401 invalid_token with a description for a bad token', async () => {
    const tampered = readToken.slice(0, -4) + (readToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const r = await call()('/things', `Bearer ${tampered}`);
    expect(r.status).toBe(401);
    expect(r.challenge).toMatch(/^Bearer realm="[^"]+", error="invalid_token", error_description="[^"]+"$/);
    expect(r.body.error).toBe('invalid_token');
  });

  it('403 insufficient_scope naming the needed scope', async () => {
    const r = await call()('/admin', `bearer ${readToken}`);
    expect(r.status).toBe(403);
    expect(r.challenge).toContain('error="insufficient_scope"');
    expect(r.challenge).toContain('scope="read write"');
    const ok = await call()('/admin', `Bearer ${writeToken}`);
    expect(ok.status).toBe(200);
  });
}

describe('Fastify plugin and hook', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    const reply = (request: unknown) => {
      const auth = (request as { auth: VerifiedToken }).auth;
      return { sub: auth.subject, scopes: auth.scopes };
    };
    await app.register(async (scoped) => {
      await scoped.register(fastifyBearerAuth, { verifier, requiredScopes: ['read'] });
      scoped.get('/things', async (request) => reply(request));
      scoped.get('/admin', { onRequest: bearerAuthHook({ verifier, requiredScopes: ['read', 'write'] }) }, async (request) => reply(request));
    });
    app.get('/public', async () => ({ public: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
  });
  const base = () => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  rfc6750Matrix(() => caller(base));

  it('leaves routes outside the protected scope alone', async () => {
    expect((await caller(base)('/public')).status).toBe(200);
  });
});

describe('Express-style middleware', () => {
  let http: Server;
  beforeAll(async () => {
    const things = bearerAuth({ verifier, requiredScopes: ['read'] });
    const admin = bearerAuth({ verifier, requiredScopes: ['read', 'write'] });
    http = createServer((req, res) => {
      const mw = req.url === '/admin' ? admin : things;
      mw(req, res, (err?: unknown) => {
        const auth = (req as { auth?: VerifiedToken }).auth!;
        res.statusCode = err ? 500 : 200;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(err ? { error: String(err) } : { sub: auth.subject, scopes: auth.scopes }));
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    http?.closeAllConnections();
    await new Promise((resolve) => http?.close(resolve));
  });
  const base = () => `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  rfc6750Matrix(() => caller(base));
});
