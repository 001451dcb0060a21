import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL, type TestDatabase } from '../support/services.js';

/** RFC 8707 resource indicators (and the `audience` alias) on every core grant, over HTTP, on both stores. */
const SECRET = 'resource-secret-1234';
const PASSWORD = 'correct horse battery';
const API = 'https://api.example.com/';
const BILLING = 'https://billing.example.com/v1';
const OTHER = 'https://other.example.com/';
const auth = (id: string) => ({ authorization: basic(id, SECRET) });

const doc = {
  clients: [
    { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', allowed_resources: [API, BILLING, 'payments'] },
    // No allowed_resources: the audience list is what it may ask for.
    { client_id: 'aud-only', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', audience: [API, 'payments'] },
    { client_id: 'plain', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
    { client_id: 'web', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read', allowed_resources: [API, BILLING] },
    { client_id: 'web-opaque', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read', allowed_resources: [API, BILLING], access_token_format: 'opaque' },
    { client_id: 'org-app', client_secret: SECRET, grant_types: ['org_implicit', 'refresh_token'], scope: 'read', allowed_resources: [API, BILLING] },
    { client_id: 'rs', client_secret: SECRET, grant_types: ['client_credentials'], scope: '', introspect_any: true },
  ],
  users: [{ username: 'ada', password: PASSWORD }],
  organizations: [{ id: 'acme', name: 'Acme' }],
  installations: [{ org_id: 'acme', client_id: 'org-app', scope: 'read' }],
};

const pg = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);
const stores: Array<[string, boolean]> = [['SQLite', true], ['PostgreSQL', pg]];

describe.each(stores)('resource indicators on %s', (_name, enabled) => {
  let s: TestServer;
  let db: TestDatabase | undefined;

  beforeAll(async () => {
    if (!enabled) return;
    db = _name === 'PostgreSQL' ? await createTestDatabase() : undefined;
    s = await startTestServer({ doc, ...(db ? { env: { TESSERA_DATABASE_URL: db.url } } : {}) });
  });
  afterAll(async () => {
    await s?.stop();
    await db?.drop();
  });

  const cc = (client: string, form: string) => s.post('/oauth/token', `grant_type=client_credentials&${form}`, auth(client));
  const aud = (token: unknown) => decodeJwt(token as string).aud;
  const login = (client: string, extra = '') => s.post('/oauth/token', `grant_type=password&client_id=${client}&username=ada&password=${encodeURIComponent(PASSWORD)}${extra}`);
  const refresh = (client: string, token: unknown, extra = '') => s.post('/oauth/token', `grant_type=refresh_token&client_id=${client}&refresh_token=${token as string}${extra}`);
  const introspect = async (token: unknown) => (await s.post('/oauth/introspect', { token: token as string }, auth('rs'))).body;
  const enc = encodeURIComponent;

  describe.runIf(enabled)('client_credentials', () => {
    it('keeps the default audience when nothing is asked for', async () => {
      expect(aud((await cc('plain', '')).body.access_token)).toBe(s.config.issuer);
      expect(aud((await cc('aud-only', '')).body.access_token)).toEqual([API, 'payments']);
    });

    it('makes one resource the aud, and a repeated one an array (RFC 8707 §2)', async () => {
      const one = await cc('svc', `resource=${enc(API)}`);
      expect(one.status).toBe(200);
      expect(aud(one.body.access_token)).toBe(API);
      const two = await cc('svc', `resource=${enc(API)}&resource=${enc(BILLING)}`);
      expect(aud(two.body.access_token)).toEqual([API, BILLING]);
    });

    it('accepts audience as an alias, repeated or space separated, together with resource', async () => {
      expect(aud((await cc('svc', 'audience=payments')).body.access_token)).toBe('payments');
      expect(aud((await cc('svc', `audience=payments+${enc(API)}`)).body.access_token)).toEqual(['payments', API]);
      expect(aud((await cc('svc', `audience=payments&audience=${enc(BILLING)}&resource=${enc(BILLING)}`)).body.access_token)).toEqual([BILLING, 'payments']);
    });

    it('refuses a resource outside the allowed list with invalid_target (the old defect: it was ignored)', async () => {
      const r = await cc('svc', `resource=${enc(OTHER)}`);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_target');
      // One bad among good ones refuses the whole request.
      expect((await cc('svc', `resource=${enc(API)}&resource=${enc(OTHER)}`)).body.error).toBe('invalid_target');
      expect((await cc('svc', 'audience=nope')).body.error).toBe('invalid_target');
      // A client with no list may not choose at all.
      expect((await cc('plain', `resource=${enc(API)}`)).body.error).toBe('invalid_target');
    });

    it('defaults the allowed list to the client audience', async () => {
      expect(aud((await cc('aud-only', 'audience=payments')).body.access_token)).toBe('payments');
      expect((await cc('aud-only', `resource=${enc(BILLING)}`)).body.error).toBe('invalid_target');
    });

    it('refuses a resource that is not an absolute URI without a fragment', async () => {
      for (const bad of ['api.example.com', '/relative', `${API}#frag`, `${API}#`]) {
        const r = await cc('svc', `resource=${enc(bad)}`);
        expect(r.status, bad).toBe(400);
        expect(r.body.error, bad).toBe('invalid_target');
        expect(r.body.error_description).toMatch(/absolute URI without a fragment/);
      }
    });

    it('still refuses every other repeated parameter (RFC 6749 §3.2)', async () => {
      const r = await cc('svc', 'scope=read&scope=read');
      expect(r.body).toMatchObject({ error: 'invalid_request', error_description: 'The scope parameter is repeated' });
    });
  });

  describe.runIf(enabled)('password and refresh_token', () => {
    it('checks the resource before the password (a bad target learns nothing)', async () => {
      const r = await s.post('/oauth/token', `grant_type=password&client_id=web&username=ada&password=wrong&resource=${enc(OTHER)}`);
      expect(r.body.error).toBe('invalid_target');
    });

    it('remembers the granted resources in the family: a refresh without resource keeps them', async () => {
      const first = await login('web', `&resource=${enc(API)}&resource=${enc(BILLING)}`);
      expect(first.status).toBe(200);
      expect(aud(first.body.access_token)).toEqual([API, BILLING]);
      const again = await refresh('web', first.body.refresh_token);
      expect(again.status).toBe(200);
      expect(aud(again.body.access_token)).toEqual([API, BILLING]);
      // Narrowing is per access token (RFC 8707 §2.2): the family keeps its whole grant for the next refresh.
      const narrow = await refresh('web', again.body.refresh_token, `&resource=${enc(BILLING)}`);
      expect(aud(narrow.body.access_token)).toBe(BILLING);
      const whole = await refresh('web', narrow.body.refresh_token);
      expect(aud(whole.body.access_token)).toEqual([API, BILLING]);
    });

    it('refuses a refresh that widens the grant, without spending the refresh token', async () => {
      const first = await login('web', `&resource=${enc(API)}`);
      const wider = await refresh('web', first.body.refresh_token, `&resource=${enc(BILLING)}`);
      expect(wider.status).toBe(400);
      expect(wider.body.error).toBe('invalid_target');
      expect(wider.body.error_description).toMatch(/exceeds what the refresh token was granted/);
      const ok = await refresh('web', first.body.refresh_token);
      expect(ok.status).toBe(200);
      expect(aud(ok.body.access_token)).toBe(API);
    });

    it('lets a family granted the default audience ask for an allowed resource on refresh, not a foreign one', async () => {
      const first = await login('web');
      expect(aud(first.body.access_token)).toBe(s.config.issuer);
      expect((await refresh('web', first.body.refresh_token, `&resource=${enc(OTHER)}`)).body.error).toBe('invalid_target');
      const narrowed = await refresh('web', first.body.refresh_token, `&resource=${enc(API)}`);
      expect(aud(narrowed.body.access_token)).toBe(API);
      expect(aud((await refresh('web', narrowed.body.refresh_token)).body.access_token)).toBe(s.config.issuer);
    });

    it('answers aud in introspection of opaque access tokens', async () => {
      const first = await login('web-opaque', `&resource=${enc(API)}&resource=${enc(BILLING)}`);
      expect(await introspect(first.body.access_token)).toMatchObject({ active: true, aud: [API, BILLING] });
      const narrowed = await refresh('web-opaque', first.body.refresh_token, `&resource=${enc(API)}`);
      expect(await introspect(narrowed.body.access_token)).toMatchObject({ active: true, aud: API });
    });

    it('answers aud in introspection of JWT access tokens', async () => {
      const first = await login('web', `&resource=${enc(API)}`);
      expect(await introspect(first.body.access_token)).toMatchObject({ active: true, aud: API });
    });
  });

  describe.runIf(enabled)('org_implicit', () => {
    it('issues for the resource and the family remembers it', async () => {
      const r = await s.post('/oauth/token', `grant_type=org_implicit&org_id=acme&resource=${enc(BILLING)}`, auth('org-app'));
      expect(r.status).toBe(200);
      expect(aud(r.body.access_token)).toBe(BILLING);
      const again = await s.post('/oauth/token', `grant_type=refresh_token&refresh_token=${r.body.refresh_token as string}`, auth('org-app'));
      expect(aud(again.body.access_token)).toBe(BILLING);
      // A refresh token introspected by its own client names what its grant was for.
      const own = await s.post('/oauth/introspect', { token: again.body.refresh_token as string, token_type_hint: 'refresh_token' }, auth('org-app'));
      expect(own.body).toMatchObject({ active: true, token_type: 'refresh_token', aud: BILLING });
      expect((await s.post('/oauth/token', `grant_type=org_implicit&org_id=acme&resource=${enc(OTHER)}`, auth('org-app'))).body.error).toBe('invalid_target');
    });
  });
});
