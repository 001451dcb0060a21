import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { auth, introspect, LIFECYCLE_CLIENTS, PASSWORD, passwordTokens, revoke } from './lifecycle-helpers.js';

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ doc: { clients: LIFECYCLE_CLIENTS, users: [{ id: 'u-ada', username: 'Ada', password: PASSWORD }] } });
});
afterAll(async () => s.stop());

function refresh(token: string, client: string) {
  return client === 'public-app'
    ? s.post('/oauth/token', { grant_type: 'refresh_token', client_id: client, refresh_token: token })
    : s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: token }, auth(client));
}

describe.each(['jwt-app', 'opaque-app'])('POST /oauth/revoke for %s tokens (RFC 7009)', (client) => {
  it('revokes an access token: 200, an empty JSON object, no-store, and introspection then says inactive', async () => {
    const { access, refresh: rt } = await passwordTokens(s, client);
    const r = await revoke(s, access, client, { token_type_hint: 'access_token' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({});
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect((await introspect(s, access, client)).body).toEqual({ active: false });
    // Revoking the access token leaves the refresh token alone.
    expect((await refresh(rt, client)).status).toBe(200);
  });

  it('revokes a refresh token with its whole family, including the opaque access tokens issued from it', async () => {
    const first = await passwordTokens(s, client);
    const rotated = await refresh(first.refresh, client);
    const newest = rotated.body.refresh_token as string;
    expect((await revoke(s, newest, client)).status).toBe(200);
    expect((await refresh(newest, client)).body.error).toBe('invalid_grant');
    expect((await introspect(s, newest, client)).body).toEqual({ active: false });
    // RFC 7009 §2.1: "If the token passed to the request is a refresh token and the authorization server supports
    // the revocation of access tokens, then the authorization server SHOULD also invalidate all access tokens based
    // on the same authorization grant": opaque ones are deleted, JWTs name the family (sid) and end with it.
    expect((await introspect(s, first.access, client)).body).toEqual({ active: false });
    expect((await introspect(s, rotated.body.access_token as string, client)).body).toEqual({ active: false });
  });

  it('searches every token type whatever the hint says', async () => {
    const { access, refresh: rt } = await passwordTokens(s, client);
    expect((await revoke(s, rt, client, { token_type_hint: 'access_token' })).status).toBe(200);
    expect((await refresh(rt, client)).body.error).toBe('invalid_grant');
    expect((await revoke(s, access, client, { token_type_hint: 'refresh_token' })).status).toBe(200);
    expect((await introspect(s, access, client)).body).toEqual({ active: false });
  });

  // RFC 7009 §2.1: the server "verifies whether the token was issued to the client making the revocation request.
  // If this validation fails, the request is refused and the client is informed of the error" (§2.2.1: an RFC 6749
  // §5.2 error; invalid_grant is the §5.2 code for a grant "issued to another client").
  it("refuses to revoke another client's live tokens with 400 invalid_grant, and revokes nothing", async () => {
    const { access, refresh: rt } = await passwordTokens(s, client);
    for (const token of [access, rt]) {
      const r = await revoke(s, token, 'stranger');
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_grant');
      expect(r.headers.get('cache-control')).toBe('no-store');
      // A public client naming itself is refused the same way.
      const pub = await s.post('/oauth/revoke', { token, client_id: 'public-app' });
      expect(pub.status).toBe(400);
      expect(pub.body.error).toBe('invalid_grant');
    }
    expect((await introspect(s, access, client)).body.active).toBe(true);
    expect((await refresh(rt, client)).status).toBe(200);
  });

  it("answers 200 for another client's token that is no longer valid (RFC 7009 §2.2: an invalid token)", async () => {
    const { access, refresh: rt } = await passwordTokens(s, client);
    expect((await revoke(s, rt, client)).status).toBe(200);
    expect((await revoke(s, access, client)).status).toBe(200);
    expect((await revoke(s, access, 'stranger')).status).toBe(200);
    expect((await revoke(s, rt, 'stranger')).status).toBe(200);
  });
});

describe('POST /oauth/revoke: edge cases', () => {
  it('lets a public client revoke its own refresh token with its client_id (RFC 7009 §2.1)', async () => {
    const { refresh: rt } = await passwordTokens(s, 'public-app');
    const r = await s.post('/oauth/revoke', { token: rt, client_id: 'public-app' });
    expect(r.status).toBe(200);
    expect((await refresh(rt, 'public-app')).body.error).toBe('invalid_grant');
  });

  it.each<[string, string, string | undefined]>([
    ['unknown', 'B'.repeat(43), undefined],
    ['malformed', 'definitely not a token', undefined],
    ['JWT-shaped garbage', 'x.y.z', undefined],
    ['an unknown hint', 'C'.repeat(43), 'id_token'],
  ])('answers 200 for %s tokens', async (_what, token, hint) => {
    const r = await revoke(s, token, 'jwt-app', hint ? { token_type_hint: hint } : {});
    expect(r.status).toBe(200);
    expect(r.body).toEqual({});
  });

  it('answers 200 for an already revoked token (idempotent)', async () => {
    const { access } = await passwordTokens(s, 'jwt-app');
    expect((await revoke(s, access)).status).toBe(200);
    expect((await revoke(s, access)).status).toBe(200);
  });

  it('requires the token parameter', async () => {
    const r = await s.post('/oauth/revoke', {}, auth('jwt-app'));
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
  });

  it('requires client authentication', async () => {
    const { access } = await passwordTokens(s, 'jwt-app');
    const none = await s.post('/oauth/revoke', { token: access });
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('invalid_client');
    // RFC 9110 §15.5.2: every 401 carries a challenge, here for client_secret_basic, which the endpoint accepts.
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="tessera", charset="UTF-8"');
    const confidentialWithoutSecret = await s.post('/oauth/revoke', { token: access, client_id: 'jwt-app' });
    expect(confidentialWithoutSecret.status).toBe(401);
    expect(confidentialWithoutSecret.headers.get('www-authenticate')).toBe('Basic realm="tessera", charset="UTF-8"');
    expect((await introspect(s, access)).body.active).toBe(true);
  });

  it('answers other methods with 405 and Allow', async () => {
    const r = await fetch(s.url + '/oauth/revoke', { method: 'GET' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
  });

  it('is listed in the RFC 8414 metadata with introspection and the new grants', async () => {
    const m = (await (await fetch(s.url + '/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
    expect(m.revocation_endpoint).toBe(`${s.config.issuer}/oauth/revoke`);
    expect(m.introspection_endpoint).toBe(`${s.config.issuer}/oauth/introspect`);
    expect(m.grant_types_supported).toEqual(expect.arrayContaining(['password', 'refresh_token']));
    expect(m.revocation_endpoint_auth_methods_supported).toContain('none');
    expect(m.introspection_endpoint_auth_methods_supported).not.toContain('none');
    const openapi = (await (await fetch(s.url + '/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(openapi.paths['/oauth/revoke']!)).toEqual(['post']);
    expect(Object.keys(openapi.paths['/oauth/introspect']!)).toEqual(['post']);
  });
});
