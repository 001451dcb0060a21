import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startTestServer, type TestServer } from '../support/server.js';

const root = path.resolve(import.meta.dirname, '../..');
const OPS = { username: 'ops', password: 'operator password 1' };
const READER = { username: 'reader', password: 'reader password 1' };
const ENDUSER = { username: 'enduser', password: 'end user password 1' };

describe('/console and the console client (HTTP)', () => {
  let server: TestServer;
  const login = (who: { username: string; password: string }, scope?: string) => server.post('/oauth/token', { grant_type: 'password', client_id: 'tessera-console', ...who, ...(scope ? { scope } : {}) });
  const bearer = async (who: { username: string; password: string }) => ({ authorization: `Bearer ${(await login(who)).body.access_token as string}` });

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(root, 'console/build.mjs')]);
    server = await startTestServer({
      doc: {
        users: [
          { username: OPS.username, password: OPS.password, scope: 'tessera:admin' },
          { username: READER.username, password: READER.password, scope: 'tessera:admin:read' },
          { username: ENDUSER.username, password: ENDUSER.password },
        ],
      },
    });
  });
  afterAll(() => server?.stop());

  it('serves the page and its two files with the strict headers; anything else under /console is a 404', async () => {
    const redirect = await fetch(`${server.url}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/console/');
    for (const [file, type] of [['', 'text/html'], ['app.js', 'text/javascript'], ['app.css', 'text/css']] as const) {
      const res = await fetch(`${server.url}/console/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      expect(res.headers.get('content-security-policy')).toBe("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const again = await fetch(`${server.url}/console/${file}`, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
    }
    expect((await fetch(`${server.url}/console/`).then((r) => r.text())).includes('content=""')).toBe(true);
    const missing = await fetch(`${server.url}/console/../../etc/passwd`);
    expect(missing.status).toBe(404);
    expect((await fetch(`${server.url}/console/other.js`)).status).toBe(404);
  });

  it('creates tessera-console at start-up: public, password + refresh_token, the admin scopes', async () => {
    const client = (await (await fetch(`${server.url}/admin/v1/clients/tessera-console`, { headers: await bearer(OPS) })).json()) as Record<string, unknown>;
    expect(client).toMatchObject({ client_id: 'tessera-console', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'tessera:admin tessera:admin:read', has_secret: false, access_token_ttl: 300 });
  });

  it('grants an operator scope only to a user whose scope lists it', async () => {
    expect((await login(OPS)).body.scope).toBe('tessera:admin');
    expect((await login(READER)).body.scope).toBe('tessera:admin:read');
    const end = await login(ENDUSER);
    expect(end.status).toBe(200);
    expect(end.body.scope ?? '').not.toMatch(/tessera:/);
    const asked = await login(ENDUSER, 'tessera:admin');
    expect(asked.status).toBe(400);
    expect(asked.body.error).toBe('invalid_scope');
    expect((await login(READER, 'tessera:admin')).body.error).toBe('invalid_scope');
  });

  it('POST /admin/v1/introspect answers a read-only operator as introspect_any; refuses a bad body and no token', async () => {
    const reader = await bearer(READER);
    const target = await login(OPS);
    const res = await fetch(`${server.url}/admin/v1/introspect`, { method: 'POST', headers: { ...reader, 'content-type': 'application/json' }, body: JSON.stringify({ token: target.body.access_token }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ active: true, client_id: 'tessera-console', scope: 'tessera:admin' });
    const refresh = await fetch(`${server.url}/admin/v1/introspect`, { method: 'POST', headers: { ...reader, 'content-type': 'application/json' }, body: JSON.stringify({ token: target.body.refresh_token }) });
    expect(await refresh.json()).toEqual({ active: false });
    const empty = await fetch(`${server.url}/admin/v1/introspect`, { method: 'POST', headers: { ...reader, 'content-type': 'application/json' }, body: JSON.stringify({ token: '' }) });
    expect(empty.status).toBe(422);
    expect(((await empty.json()) as { errors: Array<{ path: string }> }).errors[0]!.path).toBe('token');
    expect((await fetch(`${server.url}/admin/v1/introspect`, { method: 'POST', headers: { ...reader, 'content-type': 'text/plain' }, body: 'x' })).status).toBe(400);
    expect((await fetch(`${server.url}/admin/v1/introspect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":"x"}' })).status).toBe(401);
    // Other POSTs stay writes for a read-only token.
    expect((await fetch(`${server.url}/admin/v1/keys/rotate`, { method: 'POST', headers: reader })).status).toBe(403);
  });

  it('/metrics accepts tessera:admin:read (the console charts); an end user token is refused', async () => {
    expect((await fetch(`${server.url}/metrics`, { headers: await bearer(READER) })).status).toBe(200);
    expect((await fetch(`${server.url}/metrics`, { headers: await bearer(ENDUSER) })).status).toBe(403);
  });
});

describe('console.enabled: false', () => {
  it('serves no /console and creates no console client', async () => {
    const server = await startTestServer({ env: { TESSERA_CONSOLE_ENABLED: 'false' } });
    try {
      expect((await fetch(`${server.url}/console/`)).status).toBe(404);
      expect(await server.ctx.store.clients.get('tessera-console')).toBeFalsy();
    } finally {
      await server.stop();
    }
  });
});

describe('the console on a separate admin listener', () => {
  it('is served there only, naming the issuer for the token endpoints (meta element and connect-src)', async () => {
    const server = await startTestServer({ env: { TESSERA_ADMIN_LISTEN: '127.0.0.1:0' } });
    try {
      expect((await fetch(`${server.url}/console/`)).status).toBe(404);
      const res = await fetch(`${server.adminUrl!}/console/`);
      expect(res.status).toBe(200);
      const origin = new URL(server.config.issuer).origin;
      expect(res.headers.get('content-security-policy')).toContain(`connect-src 'self' ${origin};`);
      expect(await res.text()).toContain(`<meta name="tessera-token-origin" content="${origin}">`);
    } finally {
      await server.stop();
    }
  });
});
