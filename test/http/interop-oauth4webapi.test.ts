import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwks, makeKey, type TestKey } from '../support/peer.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Tessera driven by oauth4webapi (panva), a strict client that checks every response against the RFCs it
 * implements: discovery (RFC 8414: the issuer must equal the URL asked), token responses (RFC 6749 §5.1, with
 * RFC 6750's token_type), client authentication (§2.3.1 Basic with form-encoded credentials, client_secret_post,
 * RFC 7523 private_key_jwt and client_secret_jwt), refresh, introspection (RFC 7662), revocation (RFC 7009) and
 * JWT access tokens as a resource server validates them (RFC 9068: typ, iss, aud, exp, required claims, JWKS).
 * Plain http on 127.0.0.1 is allowed per call; everything else is the library's default strictness.
 */
const SECRET = 'interop-secret-0123456789';
// client_secret_jwt: the secret is the HMAC key, at least as long as the hash (RFC 7518 §3.2; oauth4webapi signs HS256).
const CSJ_SECRET = 'interop-client-secret-jwt-key-0123456789';
const ODD_ID = 'odd:id%with+plus and space';
const ODD_SECRET = 'se:cr%et+with spaces & =signs';
const PASSWORD = 'correct horse battery';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let s: TestServer;
let as: oauth.AuthorizationServer;
let clientKey: TestKey;

beforeAll(async () => {
  clientKey = await makeKey('interop-1', 'ES256');
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'app', client_secret: SECRET, grant_types: ['client_credentials', 'password', 'refresh_token'], scope: 'read write' },
        { client_id: 'opaque-app', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', access_token_format: 'opaque' },
        { client_id: 'post', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: ODD_ID, client_secret: ODD_SECRET, grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'pkj', token_endpoint_auth_method: 'private_key_jwt', jwks: jwks(clientKey), grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'csj', client_secret: CSJ_SECRET, token_endpoint_auth_method: 'client_secret_jwt', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'public-app', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read' },
      ],
      users: [{ id: 'u-ada', username: 'ada', password: PASSWORD }],
    },
  });
  const issuer = new URL(s.config.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
}, 30_000);
afterAll(async () => s?.stop());

const client = (client_id: string): oauth.Client => ({ client_id });

async function clientCredentials(id: string, auth: oauth.ClientAuth, scope = 'read'): Promise<oauth.TokenEndpointResponse> {
  const res = await oauth.clientCredentialsGrantRequest(as, client(id), auth, { scope }, insecure);
  return oauth.processClientCredentialsResponse(as, client(id), res);
}

async function login(id: string, auth: oauth.ClientAuth): Promise<oauth.TokenEndpointResponse> {
  const res = await oauth.genericTokenEndpointRequest(as, client(id), auth, 'password', { username: 'ada', password: PASSWORD, scope: 'read' }, insecure);
  return oauth.processGenericTokenEndpointResponse(as, client(id), res);
}

async function introspect(token: string, caller = 'app'): Promise<oauth.IntrospectionResponse> {
  const res = await oauth.introspectionRequest(as, client(caller), oauth.ClientSecretBasic(SECRET), token, insecure);
  return oauth.processIntrospectionResponse(as, client(caller), res);
}

/** What a resource server using oauth4webapi makes of the token (RFC 9068 validation against the JWKS). */
function validateAsResourceServer(token: string): Promise<oauth.JWTAccessTokenClaims> {
  const request = new Request('https://api.example/resource', { headers: { authorization: `Bearer ${token}` } });
  return oauth.validateJwtAccessToken(as, request, s.config.issuer, insecure);
}

describe('oauth4webapi against Tessera', () => {
  it('accepts the RFC 8414 metadata; OpenID discovery finds nothing, since Tessera is no OpenID Provider', async () => {
    expect(as.issuer).toBe(s.config.issuer);
    expect(as.token_endpoint).toBe(`${s.config.issuer}/oauth/token`);
    const issuer = new URL(s.config.issuer);
    const oidcStyle = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure });
    expect(oidcStyle.status).toBe(404);
    await expect(oauth.processDiscoveryResponse(issuer, oidcStyle)).rejects.toThrow();
  });

  it('gets a client_credentials token with client_secret_basic that a resource server validates as RFC 9068', async () => {
    const t = await clientCredentials('app', oauth.ClientSecretBasic(SECRET));
    expect(t.token_type).toBe('bearer');
    expect(t.expires_in).toBeGreaterThan(0);
    expect(t.scope).toBe('read');
    const claims = await validateAsResourceServer(t.access_token);
    expect(claims).toMatchObject({ iss: s.config.issuer, client_id: 'app', sub: 'app', scope: 'read' });
  });

  it('authenticates with Basic credentials that need form-encoding (RFC 6749 §2.3.1)', async () => {
    const t = await clientCredentials(ODD_ID, oauth.ClientSecretBasic(ODD_SECRET));
    expect((await validateAsResourceServer(t.access_token)).client_id).toBe(ODD_ID);
  });

  it('authenticates with client_secret_post, private_key_jwt and client_secret_jwt', async () => {
    expect((await clientCredentials('post', oauth.ClientSecretPost(SECRET))).token_type).toBe('bearer');
    const pkj = await clientCredentials('pkj', oauth.PrivateKeyJwt(clientKey.privateKey));
    expect((await validateAsResourceServer(pkj.access_token)).client_id).toBe('pkj');
    const csj = await clientCredentials('csj', oauth.ClientSecretJwt(CSJ_SECRET));
    expect((await validateAsResourceServer(csj.access_token)).client_id).toBe('csj');
  });

  it('surfaces a wrong secret as invalid_client with the Basic challenge', async () => {
    const res = await oauth.clientCredentialsGrantRequest(as, client('app'), oauth.ClientSecretBasic('wrong'), { scope: 'read' }, insecure);
    const err = await oauth.processClientCredentialsResponse(as, client('app'), res).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = err as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause.map((c) => c.scheme)).toContain('basic');
  });

  it('surfaces an invalid scope as a ResponseBodyError', async () => {
    const res = await oauth.clientCredentialsGrantRequest(as, client('app'), oauth.ClientSecretBasic(SECRET), { scope: 'admin' }, insecure);
    await expect(oauth.processClientCredentialsResponse(as, client('app'), res)).rejects.toMatchObject({ error: 'invalid_scope', status: 400 });
  });

  it('logs in with the password grant, rotates the refresh token, and refuses the spent one', async () => {
    const first = await login('app', oauth.ClientSecretBasic(SECRET));
    expect(first.refresh_token).toBeTypeOf('string');
    const res = await oauth.refreshTokenGrantRequest(as, client('app'), oauth.ClientSecretBasic(SECRET), first.refresh_token!, insecure);
    const second = await oauth.processRefreshTokenResponse(as, client('app'), res);
    expect(second.refresh_token).toBeTypeOf('string');
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await validateAsResourceServer(second.access_token)).sub).toBe('u-ada');
    const reuse = await oauth.refreshTokenGrantRequest(as, client('app'), oauth.ClientSecretBasic(SECRET), first.refresh_token!, insecure);
    await expect(oauth.processRefreshTokenResponse(as, client('app'), reuse)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('serves a public client (auth method none) on the password and refresh grants', async () => {
    const t = await login('public-app', oauth.None());
    const res = await oauth.refreshTokenGrantRequest(as, client('public-app'), oauth.None(), t.refresh_token!, insecure);
    expect((await oauth.processRefreshTokenResponse(as, client('public-app'), res)).access_token).toBeTypeOf('string');
  });

  it('introspects JWT and opaque tokens (RFC 7662), and a revoked one (RFC 7009) as inactive', async () => {
    const jwt = (await clientCredentials('app', oauth.ClientSecretBasic(SECRET))).access_token;
    const opaque = (await clientCredentials('opaque-app', oauth.ClientSecretBasic(SECRET))).access_token;
    expect(await introspect(jwt)).toMatchObject({ active: true, client_id: 'app', token_type: 'Bearer', scope: 'read' });
    expect(await introspect(opaque, 'opaque-app')).toMatchObject({ active: true, client_id: 'opaque-app', scope: 'read' });
    // Another client is told nothing about it (RFC 7662 §2.2 leaves that to policy; docs/lifecycle.md).
    expect(await introspect(opaque, 'app')).toEqual({ active: false });
    const rev = await oauth.revocationRequest(as, client('app'), oauth.ClientSecretBasic(SECRET), jwt, insecure);
    await expect(oauth.processRevocationResponse(rev)).resolves.toBeUndefined();
    expect(await introspect(jwt)).toEqual({ active: false });
  });

  it('revokes a refresh token so that the refresh grant refuses it', async () => {
    const t = await login('app', oauth.ClientSecretBasic(SECRET));
    const rev = await oauth.revocationRequest(as, client('app'), oauth.ClientSecretBasic(SECRET), t.refresh_token!, { ...insecure, additionalParameters: { token_type_hint: 'refresh_token' } });
    await oauth.processRevocationResponse(rev);
    const res = await oauth.refreshTokenGrantRequest(as, client('app'), oauth.ClientSecretBasic(SECRET), t.refresh_token!, insecure);
    await expect(oauth.processRefreshTokenResponse(as, client('app'), res)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('is refused by a resource server expecting another audience, and for an altered token', async () => {
    const t = (await clientCredentials('app', oauth.ClientSecretBasic(SECRET))).access_token;
    const request = new Request('https://api.example/resource', { headers: { authorization: `Bearer ${t}` } });
    await expect(oauth.validateJwtAccessToken(as, request, 'https://other.example', insecure)).rejects.toThrow();
    const [h, p, sig] = t.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: 'read write' })).toString('base64url')}.${sig}`;
    await expect(validateAsResourceServer(forged)).rejects.toThrow();
  });
});
