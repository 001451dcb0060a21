import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { wantsIntrospectionJwt } from '../../src/oauth/introspection-jwt.js';

/** RFC 9701: introspection answers as signed JWTs on request; plain JSON (RFC 7662) stays the default. */
const SECRET = 'introspect-jwt-secret';
const JWT_TYPE = 'application/token-introspection+jwt';
const insecure = { [oauth.allowInsecureRequests]: true } as const;
let s: TestServer;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'rs', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', introspect_any: true },
        { client_id: 'app', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'opaque-app', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', access_token_format: 'opaque' },
      ],
    },
  });
  const issuer = new URL(s.config.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
}, 30_000);
afterAll(async () => s?.stop());

const token = async (client = 'app') => (await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(client, SECRET) })).body.access_token as string;
const ask = (body: string, accept: string | undefined, client = 'rs') =>
  fetch(s.url + '/oauth/introspect', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client, SECRET), ...(accept ? { accept } : {}) } });
const verify = async (jwt: string) => {
  const set = (await (await fetch(s.url + '/.well-known/jwks.json')).json()) as { keys: [] };
  return jwtVerify(jwt, createLocalJWKSet(set), { issuer: s.config.issuer, audience: 'rs', typ: 'token-introspection+jwt' });
};

describe('JWT introspection responses (RFC 9701)', () => {
  it('advertises introspection_signing_alg_values_supported', () => {
    expect(as.introspection_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256']));
  });

  it('answers a signed JWT for the calling resource server, with the RFC 7662 answer in token_introspection', async () => {
    const t = await token();
    const res = await ask(`token=${t}`, JWT_TYPE);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(JWT_TYPE);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const jwt = await res.text();
    const { payload, protectedHeader } = await verify(jwt);
    expect(protectedHeader).toMatchObject({ typ: 'token-introspection+jwt', alg: 'ES256' });
    expect(typeof protectedHeader.kid).toBe('string');
    expect(payload).toMatchObject({ iss: s.config.issuer, aud: 'rs', token_introspection: { active: true, client_id: 'app', sub: 'app', scope: 'read' } });
    expect(typeof payload.iat).toBe('number');
    expect(typeof payload.jti).toBe('string');
    // RFC 9701 §5 / §8.1: nothing that would let it pass for an access token.
    expect(payload.sub).toBeUndefined();
    expect(payload.exp).toBeUndefined();
  });

  it('signs inactive answers too, and opaque-token answers', async () => {
    const inactive = decodeJwt(await (await ask('token=nope-not-a-token-of-ours', JWT_TYPE)).text());
    expect(inactive.token_introspection).toEqual({ active: false });
    const opaque = await (await ask(`token=${await token('opaque-app')}`, `application/json;q=0.5, ${JWT_TYPE}`)).text();
    expect((await verify(opaque)).payload.token_introspection).toMatchObject({ active: true, client_id: 'opaque-app' });
  });

  it('keeps plain JSON as the default: no Accept, */*, application/json, or the JWT type with q=0', async () => {
    const t = await token();
    for (const accept of [undefined, '*/*', 'application/json', `${JWT_TYPE};q=0`]) {
      const res = await ask(`token=${t}`, accept);
      expect(res.headers.get('content-type'), String(accept)).toMatch(/^application\/json/);
      expect(((await res.json()) as Record<string, unknown>).active).toBe(true);
    }
  });

  it('errors stay RFC 6749 §5.2 JSON (the caller is unknown or refused)', async () => {
    const bad = await fetch(s.url + '/oauth/introspect', { method: 'POST', body: 'token=x', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('rs', 'wrong'), accept: JWT_TYPE } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await bad.json()) as Record<string, unknown>).error).toBe('invalid_client');
    const missing = await ask('', JWT_TYPE);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as Record<string, unknown>).error).toBe('invalid_request');
  });

  it('oauth4webapi requests, validates and verifies the signature of the JWT response', async () => {
    const t = await token();
    const client: oauth.Client = { client_id: 'rs' };
    const res = await oauth.introspectionRequest(as, client, oauth.ClientSecretBasic(SECRET), t, { requestJwtResponse: true, ...insecure });
    const answer = await oauth.processIntrospectionResponse(as, client, res);
    expect(answer).toMatchObject({ active: true, client_id: 'app' });
    await oauth.validateApplicationLevelSignature(as, res, insecure);
    // A JWT meant for another resource server is refused by the client library (aud).
    const other = await oauth.introspectionRequest(as, { client_id: 'app' }, oauth.ClientSecretBasic(SECRET), t, { requestJwtResponse: true, ...insecure });
    await expect(oauth.processIntrospectionResponse(as, client, other)).rejects.toThrow(/aud/);
    expect(decodeProtectedHeader(await (await ask(`token=${t}`, JWT_TYPE)).text()).typ).toBe('token-introspection+jwt');
  });
});

describe('wantsIntrospectionJwt', () => {
  it('needs the media type named explicitly, with a non-zero q', () => {
    expect(wantsIntrospectionJwt(JWT_TYPE)).toBe(true);
    expect(wantsIntrospectionJwt(`application/json, ${JWT_TYPE.toUpperCase()};q=0.9`)).toBe(true);
    expect(wantsIntrospectionJwt(undefined)).toBe(false);
    expect(wantsIntrospectionJwt('*/*')).toBe(false);
    expect(wantsIntrospectionJwt('application/*')).toBe(false);
    expect(wantsIntrospectionJwt(`${JWT_TYPE}; q=0.0`)).toBe(false);
    expect(wantsIntrospectionJwt('application/jwt')).toBe(false);
  });
});
