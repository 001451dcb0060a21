import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, type TestServer } from '../../support/server.js';
import { jwks, makeKey } from '../../support/peer.js';
import { call, configure, register, startRegistrationServer, tokenOf } from './helpers.js';

/** RFC 7592: the client configuration endpoint, managed with the registration access token. */
let s: TestServer;
let initial: string;

beforeAll(async () => {
  s = await startRegistrationServer();
  initial = await tokenOf(s, 'registrar');
});
afterAll(async () => s.stop());

async function registered(body: Record<string, unknown> = { client_name: 'Worker', grant_types: ['client_credentials'], scope: 'read' }): Promise<Record<string, unknown> & { client_id: string; registration_access_token: string; registration_client_uri: string }> {
  const r = await register(s, initial, body);
  expect(r.status, r.text).toBe(201);
  return r.body as never;
}

function expect401(r: { status: number; headers: Headers; body: Record<string, unknown> }): void {
  expect(r.status).toBe(401);
  expect(r.body.error).toBe('invalid_token');
  expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="tessera-client-configuration", error="invalid_token"/);
}

describe('GET registration_client_uri (RFC 7592 §2.1)', () => {
  it('answers the client information, the secret never again', async () => {
    const c = await registered();
    const r = await configure(c.registration_client_uri, 'GET', c.registration_access_token);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toEqual({
      client_id: c.client_id,
      client_id_issued_at: c.client_id_issued_at,
      client_secret_expires_at: 0,
      registration_access_token: c.registration_access_token,
      registration_client_uri: c.registration_client_uri,
      client_name: 'Worker',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read',
    });
    expect(r.text).not.toContain(c.client_secret as string);
  });

  // RFC 7591 §3.2.1: client_secret_expires_at is "Time at which the client secret will expire or 0 if it will not expire".
  it('states when the secret expires once an operator gave it an expiry', async () => {
    const c = await registered();
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    await s.ctx.store.clients.update(c.client_id, { secretExpiresAt: expiry });
    s.ctx.clients.invalidate(c.client_id);
    const r = await configure(c.registration_client_uri, 'GET', c.registration_access_token);
    expect(r.status).toBe(200);
    expect(r.body.client_secret_expires_at).toBe(expiry);
  });

  it('401 for a wrong token, another client\'s token, no token, an unknown client and a client made by the admin API', async () => {
    const a = await registered();
    const b = await registered();
    expect401(await configure(a.registration_client_uri, 'GET', 'x'.repeat(43)));
    expect401(await configure(a.registration_client_uri, 'GET', b.registration_access_token));
    expect401(await configure(a.registration_client_uri, 'GET', undefined));
    expect401(await configure(`${s.url}/oauth/register/no-such-client`, 'GET', a.registration_access_token));
    // The import document's clients have no registration: no token manages them.
    expect401(await configure(`${s.url}/oauth/register/registrar`, 'GET', a.registration_access_token));
    // Nor does an access token of the client itself or the initial access token.
    expect401(await configure(a.registration_client_uri, 'GET', initial));
  });
});

describe('PUT registration_client_uri (RFC 7592 §2.2)', () => {
  it('replaces the metadata: omitted values take their defaults again, and the change applies to tokens', async () => {
    const c = await registered({ client_name: 'Worker', grant_types: ['client_credentials', 'refresh_token'], scope: 'read write' });
    const r = await configure(c.registration_client_uri, 'PUT', c.registration_access_token, { client_id: c.client_id, scope: 'read', client_uri: 'https://ignored.example' });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ client_id: c.client_id, grant_types: ['client_credentials'], scope: 'read', token_endpoint_auth_method: 'client_secret_basic', registration_access_token: c.registration_access_token });
    expect(r.body).not.toHaveProperty('client_name');
    expect(r.body).not.toHaveProperty('client_secret');
    const got = await configure(c.registration_client_uri, 'GET', c.registration_access_token);
    expect(got.body.scope).toBe('read');
    // The secret is unchanged; the narrowed scope holds at the token endpoint.
    const t = await s.post('/oauth/token', { grant_type: 'client_credentials', scope: 'write' }, { authorization: basic(c.client_id, c.client_secret as string) });
    expect(t.status).toBe(400);
    expect(t.body.error).toBe('invalid_scope');
  });

  it('accepts the current client_secret, refuses another (the client never chooses its secret)', async () => {
    const c = await registered();
    expect((await configure(c.registration_client_uri, 'PUT', c.registration_access_token, { client_id: c.client_id, client_secret: c.client_secret, scope: 'read' })).status).toBe(200);
    const r = await configure(c.registration_client_uri, 'PUT', c.registration_access_token, { client_id: c.client_id, client_secret: 'chosen-by-the-client-123', scope: 'read' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_client_metadata');
    expect(r.body.error_description).toContain('client_secret');
    const t = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret as string) });
    expect(t.status).toBe(200);
  });

  it('400 invalid_client_metadata for a missing or different client_id, a secret/non-secret method change, server-set values and allow-list breaks', async () => {
    const c = await registered();
    const put = (body: unknown) => configure(c.registration_client_uri, 'PUT', c.registration_access_token, body);
    const cases: Array<[unknown, string]> = [
      [{ scope: 'read' }, 'client_id'],
      [{ client_id: 'someone-else', scope: 'read' }, 'client_id'],
      [{ client_id: c.client_id, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [] } }, 'token_endpoint_auth_method'],
      [{ client_id: c.client_id, registration_access_token: 'x' }, 'registration_access_token'],
      [{ client_id: c.client_id, client_id_issued_at: 1 }, 'client_id_issued_at'],
      [{ client_id: c.client_id, grant_types: ['password'] }, 'grant_types'],
      [{ client_id: c.client_id, scope: 'tessera:admin' }, 'scope'],
      [{ client_id: c.client_id, grant_types: 'x' }, 'grant_types'],
    ];
    for (const [body, field] of cases) {
      const r = await put(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toBe('invalid_client_metadata');
      expect(r.body.error_description).toContain(field);
    }
    const redirect = await put({ client_id: c.client_id, redirect_uris: ['https://x.example/cb'] });
    expect(redirect.body.error).toBe('invalid_redirect_uri');
    const notJson = await call(new URL(c.registration_client_uri).origin, 'PUT', new URL(c.registration_client_uri).pathname, { token: c.registration_access_token, body: '{' });
    expect(notJson.body.error).toBe('invalid_client_metadata');
    // Nothing of the refused requests stuck.
    expect((await configure(c.registration_client_uri, 'GET', c.registration_access_token)).body).toMatchObject({ scope: 'read', grant_types: ['client_credentials'] });
  });

  it('401 with a wrong token, before the body is looked at', async () => {
    const c = await registered();
    expect401(await configure(c.registration_client_uri, 'PUT', 'y'.repeat(43), { client_id: c.client_id }));
  });
});

describe('DELETE registration_client_uri (RFC 7592 §2.3)', () => {
  it('204; the client is gone (no tokens, not in the admin API) and its registration token stops working', async () => {
    const c = await registered();
    const r = await configure(c.registration_client_uri, 'DELETE', c.registration_access_token);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect401(await configure(c.registration_client_uri, 'GET', c.registration_access_token));
    expect401(await configure(c.registration_client_uri, 'DELETE', c.registration_access_token));
    const admin = await tokenOf(s, 'admin');
    expect((await call(s.url, 'GET', `/admin/v1/clients/${encodeURIComponent(c.client_id)}`, { token: admin })).status).toBe(404);
    const t = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(c.client_id, c.client_secret as string) });
    expect(t.status).toBe(401);
  });

  it('a registered client deleted through the admin API takes its registration with it', async () => {
    const c = await registered();
    const admin = await tokenOf(s, 'admin');
    expect((await call(s.url, 'DELETE', `/admin/v1/clients/${encodeURIComponent(c.client_id)}`, { token: admin })).status).toBe(204);
    expect401(await configure(c.registration_client_uri, 'GET', c.registration_access_token));
  });

  it('405 with Allow for other methods', async () => {
    const c = await registered();
    const r = await configure(c.registration_client_uri, 'POST', c.registration_access_token, {});
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, HEAD, PUT, DELETE');
  });
});

describe('with oauth4webapi (a strict RFC 7591 client)', () => {
  it('discovers the endpoint, registers a private_key_jwt client and gets a token with it', async () => {
    const insecure = { [oauth.allowInsecureRequests]: true } as const;
    const issuer = new URL(s.config.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    expect(as.registration_endpoint).toBe(`${s.config.issuer}/oauth/register`);
    const key = await makeKey('dcr-1', 'ES256');
    const res = await oauth.dynamicClientRegistrationRequest(as, { token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'], scope: 'read', jwks: jwks(key) as never }, { initialAccessToken: initial, ...insecure });
    const client = await oauth.processDynamicClientRegistrationResponse(res);
    expect(client.token_endpoint_auth_method).toBe('private_key_jwt');
    const t = await oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, oauth.PrivateKeyJwt(key.privateKey), { scope: 'read' }, insecure));
    expect(t.scope).toBe('read');
  });

  it('surfaces a refused registration as a ResponseBodyError with the RFC 7591 code', async () => {
    const insecure = { [oauth.allowInsecureRequests]: true } as const;
    const issuer = new URL(s.config.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    const res = await oauth.dynamicClientRegistrationRequest(as, { grant_types: ['password'] }, { initialAccessToken: initial, ...insecure });
    await expect(oauth.processDynamicClientRegistrationResponse(res)).rejects.toMatchObject({ error: 'invalid_client_metadata', status: 400 });
  });
});

describe('fuzz', () => {
  it('never answers 5xx to odd metadata, bodies, paths and tokens', async () => {
    const c = await registered();
    const values: unknown[] = [null, true, 0, -1, 1e308, '', ' ', 'x'.repeat(5000), '\u0000', '\ud800', [], [null], [''], ['client_credentials', 'client_credentials'], {}, { keys: 'x' }, { keys: [{}] }, 'https://', 'http://127.0.0.1/jwks', 'tessera:admin'];
    const fields = ['client_name', 'grant_types', 'token_endpoint_auth_method', 'scope', 'jwks', 'jwks_uri', 'redirect_uris', 'response_types', 'client_id', 'client_secret', 'software_statement', '__proto__', 'constructor'];
    const tally = new Map<number, number>();
    let n = 0;
    for (const field of fields) {
      for (const value of values) {
        const body = `{"${field}":${JSON.stringify(value) ?? 'null'}${n % 3 === 0 ? `,"client_id":${JSON.stringify(c.client_id)}` : ''}}`;
        const answers = [
          await call(s.url, 'POST', '/oauth/register', { token: initial, body }),
          await call(s.url, 'PUT', new URL(c.registration_client_uri).pathname, { token: c.registration_access_token, body }),
        ];
        for (const a of answers) {
          tally.set(a.status, (tally.get(a.status) ?? 0) + 1);
          expect(a.status, `${field}=${String(value)} -> ${a.text}`).toBeLessThan(500);
        }
        n++;
      }
    }
    for (const path of ['/oauth/register/', '/oauth/register/%', '/oauth/register/%00', `/oauth/register/${'a'.repeat(3000)}`, '/oauth/register/a/b']) {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const a = await call(s.url, method, path, { token: c.registration_access_token, ...(method === 'PUT' ? { body: {} } : {}) });
        expect(a.status, `${method} ${path}`).toBeLessThan(500);
      }
    }
    expect(tally.get(201) ?? 0).toBeGreaterThan(0);
    expect(tally.get(400) ?? 0).toBeGreaterThan(0);
  });
});
