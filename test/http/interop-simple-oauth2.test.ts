import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Tessera driven by simple-oauth2 (lelylan, on @hapi/wreck), a widely used Node client that parses every answer
 * strictly as JSON: it refuses a response, even a 200, whose Content-Type is not JSON. It runs client_credentials
 * with Basic and with the secret in the body, the password grant, refresh with rotation, RFC 7009 revocation of
 * both tokens (`revokeAll`), and sees the §5.2 errors it must reject on.
 */
interface Token {
  token: Record<string, unknown>;
  refresh(params?: Record<string, unknown>): Promise<Token>;
  revokeAll(): Promise<void>;
}
interface Grant {
  getToken(params: Record<string, unknown>): Promise<Token>;
}
interface GrantOptions {
  client: { id: string; secret: string };
  auth: { tokenHost: string; tokenPath?: string; revokePath?: string };
  options?: { authorizationMethod?: 'header' | 'body'; credentialsEncodingMode?: 'strict' | 'loose' };
}
interface SimpleOAuth2 {
  ClientCredentials: new (o: GrantOptions) => Grant;
  ResourceOwnerPassword: new (o: GrantOptions) => Grant;
}
interface WreckError {
  output?: { statusCode?: number };
  data?: { payload?: unknown };
}

const { ClientCredentials, ResourceOwnerPassword } = createRequire(import.meta.url)('simple-oauth2') as SimpleOAuth2;
const SECRET = 'simple-oauth2-secret';
// '+' and '%' read differently with and without form-urlencoding (RFC 6749 §2.3.1).
const ODD_SECRET = 'simple+oauth2%41secret 100%';
const PASSWORD = 'correct horse battery';
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read write' },
        { client_id: 'svc-odd', client_secret: ODD_SECRET, grant_types: ['client_credentials'], scope: 'read write' },
        { client_id: 'svc-post', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], scope: 'read write' },
        { client_id: 'web', client_secret: SECRET, grant_types: ['password', 'refresh_token'], scope: 'read write' },
      ],
      users: [{ id: 'u-ada', username: 'ada', password: PASSWORD }],
    },
  });
}, 30_000);
afterAll(async () => s?.stop());

const options = (id: string, secret = SECRET, authorizationMethod: 'header' | 'body' = 'header'): GrantOptions => ({
  client: { id, secret },
  // simple-oauth2's default paths are Tessera's: /oauth/token and /oauth/revoke.
  auth: { tokenHost: s.url },
  options: { authorizationMethod },
});

async function rejection(call: () => Promise<unknown>): Promise<{ status: number | undefined; body: unknown }> {
  try {
    await call();
  } catch (e) {
    const err = e as WreckError;
    return { status: err.output?.statusCode, body: err.data?.payload };
  }
  throw new Error('the call resolved; a rejection was expected');
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const res = await s.post('/oauth/introspect', { token }, { authorization: 'Basic ' + Buffer.from(`web:${SECRET}`).toString('base64') });
  return res.body;
}

describe('simple-oauth2 against Tessera', () => {
  it.each([
    ['svc', 'header'],
    ['svc-post', 'body'],
  ] as const)('client_credentials for %s with the credentials in the %s', async (id, method) => {
    const t = await new ClientCredentials(options(id, SECRET, method)).getToken({ scope: ['read'] });
    expect(t.token).toMatchObject({ token_type: 'Bearer', scope: 'read', expires_in: 3600 });
    expect(t.token.expires_at).toBeInstanceOf(Date);
    const wrong = await rejection(() => new ClientCredentials(options(id, 'not-the-secret', method)).getToken({}));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: 'invalid_client' });
  });

  // 'strict' (the default) form-urlencodes the Basic credential as RFC 6749 §2.3.1 asks; 'loose' sends it as is.
  it.each(['strict', 'loose'] as const)('Basic with a secret holding plus, percent and space signs, credentialsEncodingMode %s', async (mode) => {
    const t = await new ClientCredentials({ ...options('svc-odd', ODD_SECRET), options: { authorizationMethod: 'header', credentialsEncodingMode: mode } }).getToken({ scope: ['read'] });
    expect(t.token).toMatchObject({ token_type: 'Bearer', scope: 'read' });
  });

  it('an unknown scope rejects with 400 invalid_scope', async () => {
    const r = await rejection(() => new ClientCredentials(options('svc')).getToken({ scope: ['admin'] }));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_scope' });
  });

  it('password, refresh with rotation, then revokeAll: both tokens are dead', async () => {
    const login = await new ResourceOwnerPassword(options('web')).getToken({ username: 'ada', password: PASSWORD, scope: 'read' });
    expect(login.token.refresh_token).toEqual(expect.any(String));
    const next = await login.refresh();
    expect(next.token.refresh_token).not.toBe(login.token.refresh_token);
    expect(await introspect(String(next.token.access_token))).toMatchObject({ active: true, sub: 'u-ada' });
    // revokeAll revokes the access token, then the refresh token (RFC 7009); each answer must parse as JSON.
    await next.revokeAll();
    expect(await introspect(String(next.token.access_token))).toEqual({ active: false });
    const after = await rejection(() => next.refresh());
    expect(after.status).toBe(400);
    expect(after.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('a wrong password rejects with 400 invalid_grant', async () => {
    const r = await rejection(() => new ResourceOwnerPassword(options('web')).getToken({ username: 'ada', password: 'wrong' }));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_grant' });
  });
});
