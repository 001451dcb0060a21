import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { auth, introspect, LIFECYCLE_CLIENTS, PASSWORD, passwordTokens, revoke, SECRET } from './lifecycle-helpers.js';

let clock = Math.floor(Date.now() / 1000);
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ now: () => clock, doc: { clients: LIFECYCLE_CLIENTS, users: [{ id: 'u-ada', username: 'Ada', password: PASSWORD }, { id: 'u-eve', username: 'eve', password: PASSWORD }] } });
});
afterAll(async () => s.stop());

describe.each(['jwt-app', 'opaque-app'])('POST /oauth/introspect for %s tokens (RFC 7662)', (client) => {
  it('describes an active user access token to its own client', async () => {
    const { access } = await passwordTokens(s, client);
    const r = await introspect(s, access, client);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body).toMatchObject({ active: true, token_type: 'Bearer', client_id: client, sub: 'u-ada', username: 'Ada', scope: 'read write', iss: s.config.issuer, aud: s.config.issuer });
    expect(r.body.exp).toBe((r.body.iat as number) + 3600);
    expect(r.body.nbf).toBe(r.body.iat);
    expect(typeof r.body.jti).toBe('string');
  });

  it('describes a client_credentials token (sub = client, no username)', async () => {
    const t = await s.post('/oauth/token', { grant_type: 'client_credentials', scope: 'read' }, auth(client));
    const r = await introspect(s, t.body.access_token as string, client);
    expect(r.body).toMatchObject({ active: true, sub: client, scope: 'read' });
    expect(r.body.username).toBeUndefined();
  });

  it('shows a token to a client with the introspection permission, and hides it from a stranger', async () => {
    const { access } = await passwordTokens(s, client);
    expect((await introspect(s, access, 'resource-server')).body).toMatchObject({ active: true, client_id: client });
    expect((await introspect(s, access, 'stranger')).body).toEqual({ active: false });
  });

  it('answers active:false once the token is revoked', async () => {
    const { access } = await passwordTokens(s, client);
    expect((await revoke(s, access, client)).status).toBe(200);
    expect((await introspect(s, access, client)).body).toEqual({ active: false });
  });

  it('answers active:false once the token has expired', async () => {
    const { access } = await passwordTokens(s, client);
    expect((await introspect(s, access, client)).body.active).toBe(true);
    clock += 3601;
    try {
      expect((await introspect(s, access, client)).body).toEqual({ active: false });
    } finally {
      clock -= 3601;
    }
  });

  it('describes a refresh token to its own client only, and not once it has been rotated', async () => {
    const { refresh } = await passwordTokens(s, client);
    const r = await introspect(s, refresh, client, { token_type_hint: 'refresh_token' });
    expect(r.body).toMatchObject({ active: true, token_type: 'refresh_token', client_id: client, sub: 'u-ada', username: 'Ada', scope: 'read write' });
    expect(r.body.jti).toBeUndefined();
    expect((await introspect(s, refresh, 'resource-server')).body).toEqual({ active: false });
    await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: refresh }, auth(client));
    expect((await introspect(s, refresh, client)).body).toEqual({ active: false });
  });

  it('ignores a wrong token_type_hint', async () => {
    const { access } = await passwordTokens(s, client);
    expect((await introspect(s, access, client, { token_type_hint: 'refresh_token' })).body.active).toBe(true);
  });
});

describe('POST /oauth/introspect: inactive and refused requests', () => {
  it.each([
    ['unknown', 'A'.repeat(43)],
    ['malformed', 'not a token at all'],
    ['JWT-shaped garbage', 'aaa.bbb.ccc'],
    ['over-long', 'x'.repeat(9000)],
  ])('answers {active:false} for an %s token', async (_what, token) => {
    const r = await introspect(s, token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ active: false });
  });

  it('answers {active:false} for a JWT whose signature was tampered with', async () => {
    const { access } = await passwordTokens(s, 'jwt-app');
    const [h, p] = access.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url')}.${access.split('.')[2]}`;
    expect((await introspect(s, forged)).body).toEqual({ active: false });
  });

  it('keeps a verified JWT apart from a forgery that carries its signature (the answer cache is keyed by the tail)', async () => {
    const { access } = await passwordTokens(s, 'jwt-app');
    const [h, p, sig] = access.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url')}.${sig}`;
    // The genuine token first, so its answer is cached; the forgery shares its last characters.
    expect((await introspect(s, access)).body).toMatchObject({ active: true, scope: 'read write' });
    expect((await introspect(s, forged)).body).toEqual({ active: false });
    expect((await introspect(s, access)).body).toMatchObject({ active: true, scope: 'read write' });
    expect((await introspect(s, forged)).body).toEqual({ active: false });
  });

  it('answers {active:false} for the tokens of a user disabled since (opaque: at once; refresh tokens too)', async () => {
    const { access, refresh } = await passwordTokens(s, 'opaque-app', 'eve');
    await s.ctx.store.users.update('u-eve', { status: 'disabled' });
    await expect.poll(async () => (await introspect(s, access, 'opaque-app')).body.active, { timeout: 10_000, interval: 100 }).toBe(false);
    expect((await introspect(s, refresh, 'opaque-app')).body).toEqual({ active: false });
  });

  it('answers {active:false} for a JWT of a user disabled since, and again active once re-enabled', async () => {
    await s.ctx.store.users.create({ id: 'u-jwt', username: 'jwt-user', passwordHash: (await s.ctx.store.users.get('u-ada'))!.passwordHash, status: 'active', scope: null, email: null, emailVerified: false });
    const { access } = await passwordTokens(s, 'jwt-app', 'jwt-user');
    expect((await introspect(s, access, 'jwt-app')).body.active).toBe(true);
    await s.ctx.store.users.update('u-jwt', { status: 'disabled' });
    await expect.poll(async () => (await introspect(s, access, 'jwt-app')).body.active, { timeout: 10_000, interval: 100 }).toBe(false);
    await s.ctx.store.users.update('u-jwt', { status: 'active' });
    await expect.poll(async () => (await introspect(s, access, 'jwt-app')).body.active, { timeout: 10_000, interval: 100 }).toBe(true);
  });

  it('answers {active:false} to a resource server for a JWT whose client was disabled since', async () => {
    await s.ctx.store.clients.create({ ...(await s.ctx.store.clients.get('stranger'))!, clientId: 'short-lived' });
    const t = await s.post('/oauth/token', { grant_type: 'client_credentials', scope: 'read' }, { authorization: basic('short-lived', SECRET) });
    expect(t.status).toBe(200);
    const access = t.body.access_token as string;
    expect((await introspect(s, access, 'resource-server')).body.active).toBe(true);
    await s.ctx.store.clients.update('short-lived', { status: 'disabled' });
    await expect.poll(async () => (await introspect(s, access, 'resource-server')).body.active, { timeout: 10_000, interval: 100 }).toBe(false);
  });

  it('refuses a public client (no credentials) with 401 invalid_client', async () => {
    const { access } = await passwordTokens(s, 'public-app');
    const r = await s.post('/oauth/introspect', { token: access, client_id: 'public-app' });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
    // RFC 9110 §15.5.2: with the challenge of a method the endpoint does accept.
    expect(r.headers.get('www-authenticate')).toBe('Basic realm="tessera", charset="UTF-8"');
  });

  it('refuses unauthenticated callers and wrong secrets with 401', async () => {
    const bare = await s.post('/oauth/introspect', { token: 'x' });
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe('Basic realm="tessera", charset="UTF-8"');
    const r = await s.post('/oauth/introspect', { token: 'x' }, { authorization: 'Basic ' + Buffer.from('jwt-app:wrong-secret').toString('base64') });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('requires the token parameter', async () => {
    const r = await s.post('/oauth/introspect', {}, auth('jwt-app'));
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
  });

  it('requires a form body and refuses the token in the URL', async () => {
    const json = await fetch(s.url + '/oauth/introspect', { method: 'POST', body: '{"token":"x"}', headers: { 'content-type': 'application/json', ...auth('jwt-app') } });
    expect(json.status).toBe(400);
    const query = await s.post('/oauth/introspect?token=x', 'token=y', auth('jwt-app'));
    expect(query.body.error).toBe('invalid_request');
  });

  it('answers other methods with 405 and Allow', async () => {
    const r = await fetch(s.url + '/oauth/introspect');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
    expect(((await r.json()) as Record<string, unknown>).error).toBe('method_not_allowed');
  });
});
