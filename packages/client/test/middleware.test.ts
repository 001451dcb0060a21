import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
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

/** A GET written on a raw socket, so that a header can be sent twice (fetch would fold it into one line). */
function rawGet(port: number, path: string, headerLines: string[]): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write([`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headerLines, '', ''].join('\r\n')));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), head, body });
    });
    socket.on('error', reject);
  });
}

/** The DPoP algorithms the verifier's challenge names (the default list). */
const ALGS = () => verifier.dpopAlgorithms.join(' ');

/** The same RFC 6750 matrix for every integration. */
function rfc6750Matrix(call: () => Call, port: () => number) {
  it('200 with the verified token for a good token', async () => {
    const r = await call()('/things', `Bearer ${readToken}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ sub: 'reader', scopes: ['read'] });
  });

  it('401 with bare challenges (no error code) for both schemes it accepts when there are no credentials (RFC 6750 §3.1, RFC 9449 §7.2)', async () => {
    for (const auth of [undefined, 'Basic cmVhZGVyOng=']) {
      const r = await call()('/things', auth);
      expect(r.status).toBe(401);
      expect(r.challenge).toBe(`Bearer realm="${server.url}", DPoP algs="${ALGS()}"`);
      // The body as the README states it: a description, no error code.
      expect(r.body).toEqual({ error_description: 'A bearer access token is required' });
    }
  });

  it('400 invalid_request for a malformed Bearer header', async () => {
    const r = await call()('/things', 'Bearer two words');
    expect(r.status).toBe(400);
    expect(r.challenge).toContain('error="invalid_request"');
  });

  it('401 invalid_token with a description for a bad token, and the DPoP challenge beside it', async () => {
    const tampered = readToken.slice(0, -4) + (readToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const r = await call()('/things', `Bearer ${tampered}`);
    expect(r.status).toBe(401);
    expect(r.challenge).toMatch(new RegExp(`^Bearer realm="[^"]+", error="invalid_token", error_description="[^"]+", DPoP algs="${ALGS()}"$`));
    expect(r.body.error).toBe('invalid_token');
  });

  it('400 invalid_request for two Authorization headers, even when the first is good (RFC 6750 §3.1)', async () => {
    const r = await rawGet(port(), '/things', [`Authorization: Bearer ${readToken}`, 'Authorization: Bearer other']);
    expect(r.status).toBe(400);
    expect(r.head).toMatch(/\r\nwww-authenticate: Bearer realm="[^"]+", error="invalid_request", error_description="More than one Authorization header"\r\n/i);
    const dpop = await rawGet(port(), '/things', [`Authorization: DPoP ${readToken}`, `authorization: Bearer ${readToken}`]);
    expect(dpop.status).toBe(400);
    expect(dpop.head).toMatch(/\r\nwww-authenticate: DPoP error="invalid_request"/i);
  });

  it('401 invalid_dpop_proof with the DPoP challenge for a junk proof', async () => {
    const r = await rawGet(port(), '/things', [`Authorization: dpop ${readToken}`, 'DPoP: junk']);
    expect(r.status).toBe(401);
    expect(r.head).toMatch(/\r\nwww-authenticate: DPoP error="invalid_token"/i);
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

  rfc6750Matrix(() => caller(base), () => (app.server.address() as AddressInfo).port);

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

  rfc6750Matrix(() => caller(base), () => (http.address() as AddressInfo).port);
});
