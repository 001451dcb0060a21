import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { basic, startTestServer, type TestServer } from '../../support/server.js';
import { insertUncheckedClient, insertUncheckedInstallation } from '../../support/unchecked.js';

/**
 * grant_type=org_implicit over HTTP (the default RFC form route; any confidential client authentication works):
 * an organisation's active installation of the client is the grant.
 */
const SECRET = 'org-app-secret-1234';
const auth = (id: string) => ({ authorization: basic(id, SECRET) });
const client = (client_id: string, extra: Record<string, unknown> = {}) => ({
  client_id,
  client_secret: SECRET,
  grant_types: ['org_implicit', 'refresh_token'],
  scope: 'wallet:read wallet:write audit',
  ...extra,
});

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: [
        client('app'),
        client('app-norefresh', { grant_types: ['org_implicit'] }),
        client('app-opaque', { access_token_format: 'opaque' }),
        client('app-nogrant', { grant_types: ['client_credentials'] }),
        client('app-rescope'),
        client('app-revoke'),
        client('app-disable'),
        client('app-capped', { scope: 'wallet:read' }),
      ],
      organizations: [
        { id: 'acme', name: 'Acme' },
        { id: 'globex', name: 'Globex' },
        { id: 'initech', name: 'Initech', status: 'disabled' },
        { id: 'umbrella', name: 'Umbrella' },
        { id: 'hooli', name: 'Hooli' },
      ],
      installations: [
        { org_id: 'acme', client_id: 'app', scope: 'wallet:read wallet:write' },
        { org_id: 'acme', client_id: 'app-norefresh', scope: 'wallet:read' },
        { org_id: 'acme', client_id: 'app-opaque', scope: 'wallet:read' },
        { org_id: 'acme', client_id: 'app-nogrant', scope: 'wallet:read' },
        { org_id: 'globex', client_id: 'app', scope: 'wallet:read', status: 'revoked' },
        { org_id: 'initech', client_id: 'app', scope: 'wallet:read' },
        { org_id: 'acme', client_id: 'app-rescope', scope: 'wallet:read wallet:write' },
        { org_id: 'umbrella', client_id: 'app-revoke', scope: 'wallet:read' },
        { org_id: 'hooli', client_id: 'app-disable', scope: 'wallet:read' },
      ],
    },
  });
  // The import refuses a public client allowed org_implicit; the endpoint must refuse one stored anyway.
  await insertUncheckedClient(s.ctx.store, { client_id: 'app-public', token_endpoint_auth_method: 'none', grant_types: ['org_implicit'], scope: 'wallet:read' });
  await insertUncheckedInstallation(s.ctx.store, 'acme', 'app-public', ['wallet:read']);
  // Approved beyond the client's scope (as after the client's scope was narrowed): the import refuses it.
  await insertUncheckedInstallation(s.ctx.store, 'acme', 'app-capped', ['wallet:read', 'wallet:write']);
});
afterAll(async () => s?.stop());

const orgToken = (clientId: string, org: string | undefined, scope?: string) =>
  s.post('/oauth/token', { grant_type: 'org_implicit', ...(org !== undefined ? { org_id: org } : {}), ...(scope !== undefined ? { scope } : {}) }, auth(clientId));
const refresh = (clientId: string, token: string) => s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: token }, auth(clientId));

async function claims(token: string): Promise<Record<string, unknown>> {
  const jwks = (await (await fetch(s.url + '/.well-known/jwks.json')).json()) as { keys: [] };
  return (await jwtVerify(token, createLocalJWKSet(jwks), { issuer: s.config.issuer })).payload;
}

async function installationId(org: string, clientId: string): Promise<string> {
  return (await s.ctx.store.installations.find(org, clientId))!.id;
}

describe('org_implicit', () => {
  it('issues a token for the organisation with the approved scopes, and a refresh token', async () => {
    const r = await orgToken('app', 'acme');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', scope: 'wallet:read wallet:write', expires_in: 3600 });
    expect(typeof r.body.refresh_token).toBe('string');
    expect(await claims(r.body.access_token as string)).toMatchObject({ sub: 'acme', org_id: 'acme', client_id: 'app', scope: 'wallet:read wallet:write' });
  });

  it('narrows to the requested scope and refuses scope beyond the approval', async () => {
    const narrow = await orgToken('app', 'acme', 'wallet:read');
    expect(narrow.body.scope).toBe('wallet:read');
    // 'audit' is in the client's scope but the organisation did not approve it.
    const beyond = await orgToken('app', 'acme', 'wallet:read audit');
    expect(beyond.status).toBe(400);
    expect(beyond.body.error).toBe('invalid_scope');
  });

  it("caps the approval by the client's own scope", async () => {
    const r = await orgToken('app-capped', 'acme');
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('wallet:read');
    expect((await orgToken('app-capped', 'acme', 'wallet:write')).body.error).toBe('invalid_scope');
  });

  it('issues no refresh token to a client without the refresh_token grant', async () => {
    const r = await orgToken('app-norefresh', 'acme');
    expect(r.status).toBe(200);
    expect(r.body.refresh_token).toBeUndefined();
  });

  it('requires org_id', async () => {
    const r = await orgToken('app', undefined);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_request' });
  });

  it('answers no installation, revoked installation, disabled and unknown organisation identically', async () => {
    const answers = await Promise.all([orgToken('app', 'umbrella'), orgToken('app', 'globex'), orgToken('app', 'initech'), orgToken('app', 'no-such-org')]);
    for (const a of answers) {
      expect(a.status).toBe(400);
      expect(a.body.error).toBe('invalid_grant');
    }
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
  });

  it('refuses public clients and clients without the grant type (unauthorized_client)', async () => {
    const pub = await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'acme', client_id: 'app-public' });
    expect(pub.status).toBe(400);
    expect(pub.body.error).toBe('unauthorized_client');
    const nogrant = await orgToken('app-nogrant', 'acme');
    expect(nogrant.status).toBe(400);
    expect(nogrant.body.error).toBe('unauthorized_client');
  });

  it('shows org_id in introspection of the access token (JWT and opaque) and the refresh token', async () => {
    const jwt = await orgToken('app', 'acme');
    const opaque = await orgToken('app-opaque', 'acme');
    const cases: Array<[string, string]> = [
      ['app', jwt.body.access_token as string],
      ['app', jwt.body.refresh_token as string],
      ['app-opaque', opaque.body.access_token as string],
    ];
    for (const [id, token] of cases) {
      const r = await s.post('/oauth/introspect', { token }, auth(id));
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ active: true, org_id: 'acme', sub: 'acme', client_id: id });
    }
  });
});

/**
 * Issue 19: org_implicit's first access token belongs to the refresh-token family it starts. For an opaque-format
 * client (as Cobo apps often are) it once carried no family, so ending the family left that token alive.
 */
describe("org_implicit's first opaque access token ends with its family", () => {
  const introspect = (token: string) => s.post('/oauth/introspect', { token }, auth('app-opaque'));

  async function firstTokens(): Promise<{ access: string; refresh: string }> {
    const r = await orgToken('app-opaque', 'acme');
    expect(r.status).toBe(200);
    const tokens = { access: r.body.access_token as string, refresh: r.body.refresh_token as string };
    expect((await introspect(tokens.access)).body).toMatchObject({ active: true, org_id: 'acme' });
    return tokens;
  }

  it('when its refresh token is revoked (RFC 7009 §2.1)', async () => {
    const t = await firstTokens();
    expect((await s.post('/oauth/revoke', { token: t.refresh }, auth('app-opaque'))).status).toBe(200);
    expect((await introspect(t.access)).body).toEqual({ active: false });
  });

  it('when its refresh token is reused after rotation (RFC 9700 §4.14.2)', async () => {
    const t = await firstTokens();
    expect((await refresh('app-opaque', t.refresh)).status).toBe(200);
    expect((await refresh('app-opaque', t.refresh)).body.error).toBe('invalid_grant');
    expect((await introspect(t.access)).body).toEqual({ active: false });
  });
});

describe('org refresh tokens follow the installation', () => {
  it('a changed approval caps the next refresh', async () => {
    const first = await orgToken('app-rescope', 'acme');
    expect(first.body.scope).toBe('wallet:read wallet:write');
    await s.ctx.store.installations.update(await installationId('acme', 'app-rescope'), { scope: ['wallet:read'] });
    // The change reaches this node's installation cache through the change feed.
    await vi.waitFor(async () => expect((await orgToken('app-rescope', 'acme')).body.scope).toBe('wallet:read'), { timeout: 10_000, interval: 50 });
    const r = await refresh('app-rescope', first.body.refresh_token as string);
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('wallet:read');
    expect(await claims(r.body.access_token as string)).toMatchObject({ sub: 'acme', org_id: 'acme', scope: 'wallet:read' });
    // Asking for the withdrawn scope on refresh is refused.
    const widened = await refresh('app-rescope', r.body.refresh_token as string);
    expect(widened.status).toBe(200);
    const again = await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: widened.body.refresh_token as string, scope: 'wallet:write' }, auth('app-rescope'));
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_scope');
  });

  it('revoking the installation ends its refresh tokens at once and stops new tokens', async () => {
    const first = await orgToken('app-revoke', 'umbrella');
    expect(first.status).toBe(200);
    const ok = await refresh('app-revoke', first.body.refresh_token as string);
    expect(ok.status).toBe(200);
    await s.ctx.store.installations.update(await installationId('umbrella', 'app-revoke'), { status: 'revoked', revokedAt: s.ctx.now() });
    // No waiting: the store revoked the families in the revocation's own transaction.
    const r = await refresh('app-revoke', ok.body.refresh_token as string);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
    await vi.waitFor(async () => expect((await orgToken('app-revoke', 'umbrella')).body.error).toBe('invalid_grant'), { timeout: 10_000, interval: 50 });
    // Re-installing does not bring old refresh tokens back.
    await s.ctx.store.installations.update(await installationId('umbrella', 'app-revoke'), { status: 'active', approvedAt: s.ctx.now(), revokedAt: null });
    await vi.waitFor(async () => expect((await orgToken('app-revoke', 'umbrella')).status).toBe(200), { timeout: 10_000, interval: 50 });
    expect((await refresh('app-revoke', ok.body.refresh_token as string)).body.error).toBe('invalid_grant');
  });

  it('a disabled organisation cannot refresh until it is enabled again', async () => {
    const first = await orgToken('app-disable', 'hooli');
    await s.ctx.store.organizations.update('hooli', { status: 'disabled' });
    await vi.waitFor(async () => expect((await orgToken('app-disable', 'hooli')).body.error).toBe('invalid_grant'), { timeout: 10_000, interval: 50 });
    const r = await refresh('app-disable', first.body.refresh_token as string);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
    await s.ctx.store.organizations.update('hooli', { status: 'active' });
    await vi.waitFor(async () => expect((await orgToken('app-disable', 'hooli')).status).toBe(200), { timeout: 10_000, interval: 50 });
    // The failed refresh did not consume the token: the family is intact once the organisation is back.
    const back = await refresh('app-disable', first.body.refresh_token as string);
    expect(back.status).toBe(200);
    expect(back.body.scope).toBe('wallet:read');
  });
});
