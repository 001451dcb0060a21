import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * RFC 8707 resource indicators driven by oauth4webapi (panva), a strict client: `resource` in the
 * client_credentials and refresh requests (repeated, as URLSearchParams carries it), the error it parses for a
 * refused target, and the audience check of a resource server that validates the token as RFC 9068 says.
 */
const SECRET = 'interop-resource-secret-0123';
const PASSWORD = 'correct horse battery';
const API = 'https://api.example/';
const BILLING = 'https://billing.example/v1';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let s: TestServer;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: [{ client_id: 'app', client_secret: SECRET, grant_types: ['client_credentials', 'password', 'refresh_token'], scope: 'read', allowed_resources: [API, BILLING] }],
      users: [{ username: 'ada', password: PASSWORD }],
    },
  });
  const issuer = new URL(s.config.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
}, 30_000);
afterAll(async () => s?.stop());

const client: oauth.Client = { client_id: 'app' };
const auth = oauth.ClientSecretBasic(SECRET);

function validateFor(token: string, audience: string): Promise<oauth.JWTAccessTokenClaims> {
  const request = new Request(audience, { headers: { authorization: `Bearer ${token}` } });
  return oauth.validateJwtAccessToken(as, request, audience, insecure);
}

describe('oauth4webapi with resource indicators (RFC 8707)', () => {
  it('gets a token for two resources that each resource server accepts, and another audience refuses', async () => {
    const params = new URLSearchParams([['scope', 'read'], ['resource', API], ['resource', BILLING]]);
    const res = await oauth.clientCredentialsGrantRequest(as, client, auth, params, insecure);
    const t = await oauth.processClientCredentialsResponse(as, client, res);
    expect((await validateFor(t.access_token, API)).aud).toEqual([API, BILLING]);
    await validateFor(t.access_token, BILLING);
    await expect(validateFor(t.access_token, 'https://other.example/')).rejects.toThrow();
  });

  it('parses invalid_target for a resource the client may not ask for', async () => {
    const res = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams([['resource', 'https://other.example/']]), insecure);
    await expect(oauth.processClientCredentialsResponse(as, client, res)).rejects.toMatchObject({ error: 'invalid_target', status: 400 });
  });

  it('narrows on refresh to a subset of what the refresh token was granted', async () => {
    const login = await oauth.genericTokenEndpointRequest(as, client, auth, 'password', new URLSearchParams([['username', 'ada'], ['password', PASSWORD], ['resource', API], ['resource', BILLING]]), insecure);
    const first = await oauth.processGenericTokenEndpointResponse(as, client, login);
    const res = await oauth.refreshTokenGrantRequest(as, client, auth, first.refresh_token!, { ...insecure, additionalParameters: new URLSearchParams([['resource', BILLING]]) });
    const narrowed = await oauth.processRefreshTokenResponse(as, client, res);
    expect((await validateFor(narrowed.access_token, BILLING)).aud).toBe(BILLING);
    await expect(validateFor(narrowed.access_token, API)).rejects.toThrow();
  });
});
