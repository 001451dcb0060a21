import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { createVerifier, OAuthError, TokenClient } from '../src/index.js';

/** RFC 8707 `resource` / `audience` on every grant the SDK runs, and the verifier's `aud` check on what comes back. */
const SECRET = 'resource-sdk-secret-0123';
const PASSWORD = 'correct horse battery';
const API = 'https://api.example/';
const BILLING = 'https://billing.example/v1';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    doc: {
      clients: [
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', allowed_resources: [API, BILLING, 'payments'] },
        { client_id: 'app', client_secret: SECRET, grant_types: ['password', 'refresh_token'], scope: 'read', allowed_resources: [API, BILLING] },
        { client_id: 'org-app', client_secret: SECRET, grant_types: ['org_implicit'], scope: 'read', allowed_resources: [BILLING] },
      ],
      users: [{ username: 'alice', password: PASSWORD }],
      organizations: [{ id: 'org-1', name: 'Org One' }],
      installations: [{ org_id: 'org-1', client_id: 'org-app', scope: 'read' }],
    },
  });
});
afterAll(async () => server?.stop());

const client = (clientId: string) => new TokenClient({ issuer: server.url, clientId, clientSecret: SECRET });
const verifierFor = (audience: string) => createVerifier({ issuer: server.url, audience });

describe('resource indicators in the SDK', () => {
  it('client_credentials: repeated resource and the audience alias become aud; the verifier checks it', async () => {
    const t = await client('svc').clientCredentials({ resource: [API, BILLING], audience: 'payments' });
    expect((await verifierFor(API).verify(t.access_token)).claims.aud).toEqual([API, BILLING, 'payments']);
    await expect(verifierFor('https://other.example/').verify(t.access_token)).rejects.toMatchObject({ error: 'invalid_token', error_description: expect.stringMatching(/aud/i) });
  });

  it('password and refresh: the refresh narrows to a subset; a wider one is invalid_target', async () => {
    const c = client('app');
    const t = await c.password({ username: 'alice', password: PASSWORD, resource: [API, BILLING] });
    const narrowed = await c.refresh(t.refresh_token!, { resource: BILLING });
    await verifierFor(BILLING).verify(narrowed.access_token);
    await expect(verifierFor(API).verify(narrowed.access_token)).rejects.toMatchObject({ error: 'invalid_token', error_description: expect.stringMatching(/aud/i) });
    const err = await c.refresh(narrowed.refresh_token!, { resource: 'https://other.example/' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({ error: 'invalid_target', status: 400 });
  });

  it('orgToken takes resource too', async () => {
    const t = await client('org-app').orgToken({ orgId: 'org-1', resource: BILLING });
    await verifierFor(BILLING).verify(t.access_token);
  });
});
