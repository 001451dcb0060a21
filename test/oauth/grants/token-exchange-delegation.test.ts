import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { basic, startTestServer, type TestServer } from '../../support/server.js';
import { jwks, makeKey, nowSeconds, sign, startPeer, type Peer, type TestKey } from '../../support/peer.js';
import { createTestDatabase, postgresAvailable, TEST_DATABASE_URL, requireService, type TestDatabase } from '../../support/services.js';
import type { SecurityEvent } from '../../../src/observability/events.js';

/** RFC 8693 delegation: actor_token, the nested act claim (§4.1), may_act (§4.4) and the client's policy. */
const TE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const ID = 'urn:ietf:params:oauth:token-type:id_token';
const SECRET = 'delegation-secret-123';
const PASSWORD = 'correct horse battery';
const IDP = 'https://idp-a.example';

const pgRun = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);
const stores = [{ name: 'SQLite', run: true }, { name: 'PostgreSQL', run: pgRun }];

describe.each(stores)('delegation on $name', ({ name, run }) => {
  let s: TestServer;
  let db: TestDatabase | undefined;
  let peer: Peer;
  let key: TestKey;
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    if (!run) return;
    key = await makeKey('idp-1');
    peer = await startPeer({ '/jwks': () => ({ headers: { 'cache-control': 'max-age=600' }, body: jwks(key) }) });
    if (name === 'PostgreSQL') db = await createTestDatabase();
    s = await startTestServer({
      ...(db ? { env: { TESSERA_DATABASE_URL: db.url } } : {}),
      doc: {
        clients: [
          { client_id: 'web', token_endpoint_auth_method: 'none', grant_types: ['password'], scope: 'read write' },
          { client_id: 'web-opaque', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read write', access_token_format: 'opaque' },
          {
            client_id: 'agent',
            client_secret: SECRET,
            grant_types: [TE, 'client_credentials', 'refresh_token'],
            scope: 'read write admin',
            delegation: { actors: ['agent', 'helper', 'u-bob'], may_act_for: ['*'] },
          },
          { client_id: 'helper', client_secret: SECRET, grant_types: ['client_credentials', TE], scope: 'read', delegation: { actors: ['helper'], may_act_for: ['*'] } },
          { client_id: 'picky', client_secret: SECRET, grant_types: [TE], scope: 'read', delegation: { actors: ['agent'], may_act_for: ['alice'] } },
          { client_id: 'agent-opaque', client_secret: SECRET, grant_types: [TE], scope: 'read', access_token_format: 'opaque', delegation: { actors: ['agent'], may_act_for: ['*'] } },
          { client_id: 'nodeleg', client_secret: SECRET, grant_types: [TE], scope: 'read' },
        ],
        users: [
          { id: 'u-alice', username: 'alice', password: PASSWORD, email: 'alice@example.com', email_verified: true },
          { id: 'u-bob', username: 'bob', password: PASSWORD },
        ],
        identity_providers: [{ name: 'idp-a', type: 'oidc', issuer: IDP, jwks_uri: `${peer.url}/jwks`, audiences: ['tessera'], link_verified_email: true }],
      },
    });
    s.ctx.events.addSink({ name: 'test', accept: (e) => events.push(e) });
  }, 30_000);

  afterAll(async () => {
    await s?.stop();
    await db?.drop();
    await peer?.close();
  });

  const login = async (username = 'alice', client = 'web', scope = 'read') => {
    const r = await s.post('/oauth/token', { grant_type: 'password', client_id: client, username, password: PASSWORD, scope });
    expect(r.status).toBe(200);
    return r.body;
  };
  const serviceToken = async (client = 'agent', scope = 'read') => {
    const r = await s.post('/oauth/token', { grant_type: 'client_credentials', scope }, { authorization: basic(client, SECRET) });
    expect(r.status).toBe(200);
    return r.body.access_token as string;
  };
  const exchange = (form: Record<string, string>, client = 'agent') => s.post('/oauth/token', { grant_type: TE, ...form }, { authorization: basic(client, SECRET) });
  const claimsOf = async (token: string) => {
    const set = (await (await fetch(s.url + '/.well-known/jwks.json')).json()) as { keys: [] };
    return (await jwtVerify(token, createLocalJWKSet(set), { issuer: s.config.issuer })).payload;
  };
  const introspect = async (token: string, client = 'agent') => (await s.post('/oauth/introspect', { token }, { authorization: basic(client, SECRET) })).body;
  const idToken = (claims: JWTPayload = {}) => sign(key, { iss: IDP, aud: 'tessera', sub: 'ext-alice', email: 'alice@example.com', email_verified: true, iat: nowSeconds(), exp: nowSeconds() + 300, ...claims });
  const expectRefused = async (form: Record<string, string>, pattern: RegExp, client = 'agent', code = 'invalid_request') => {
    const r = await exchange(form, client);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error).toBe(code);
    expect(r.body.error_description).toMatch(pattern);
  };

  describe.runIf(run)('with a user token of this server as the subject', () => {
    it('issues a token for the user with act naming the actor; introspection and refresh keep it', async () => {
      const user = await login('alice', 'web', 'read write');
      const r = await exchange({ subject_token: user.access_token as string, subject_token_type: AT, actor_token: await serviceToken(), actor_token_type: AT });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ issued_token_type: AT, token_type: 'Bearer', scope: 'read write' });
      const claims = await claimsOf(r.body.access_token as string);
      expect(claims).toMatchObject({ sub: 'u-alice', username: 'alice', client_id: 'agent', act: { sub: 'agent' } });
      expect((claims.act as Record<string, unknown>).client_id).toBeUndefined();
      expect(await introspect(r.body.access_token as string)).toMatchObject({ active: true, sub: 'u-alice', act: { sub: 'agent' } });
      const refreshed = await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: r.body.refresh_token as string }, { authorization: basic('agent', SECRET) });
      expect(refreshed.status).toBe(200);
      expect(await claimsOf(refreshed.body.access_token as string)).toMatchObject({ sub: 'u-alice', act: { sub: 'agent' } });
      expect(events.some((e) => e.type === 'delegation.granted' && e.clientId === 'agent' && e.subject === 'u-alice' && e.details.actor === 'agent')).toBe(true);
    });

    it('names the actor client when the actor token is a user token (act.client_id, RFC 8693 §4.1)', async () => {
      const user = await login('alice');
      const actor = await login('bob');
      const r = await exchange({ subject_token: user.access_token as string, subject_token_type: AT, actor_token: actor.access_token as string, actor_token_type: JWT });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect((await claimsOf(r.body.access_token as string)).act).toEqual({ sub: 'u-bob', client_id: 'web' });
    });

    it('nests the subject token act inside the new actor (a chain, most recent outermost)', async () => {
      const user = await login('alice');
      const first = await exchange({ subject_token: user.access_token as string, subject_token_type: AT, actor_token: await serviceToken(), actor_token_type: AT });
      expect(first.status).toBe(200);
      const second = await exchange({ subject_token: first.body.access_token as string, subject_token_type: AT, actor_token: await serviceToken('helper'), actor_token_type: AT }, 'helper');
      expect(second.status, JSON.stringify(second.body)).toBe(200);
      expect((await claimsOf(second.body.access_token as string)).act).toEqual({ sub: 'helper', act: { sub: 'agent' } });
    });

    it('accepts an opaque subject token and shows act in opaque-token introspection', async () => {
      const user = await login('alice', 'web-opaque');
      const r = await exchange({ subject_token: user.access_token as string, subject_token_type: AT, actor_token: await serviceToken(), actor_token_type: AT });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect((await claimsOf(r.body.access_token as string)).act).toEqual({ sub: 'agent' });
      const opaque = await exchange({ subject_token: user.access_token as string, subject_token_type: AT, actor_token: await serviceToken(), actor_token_type: AT }, 'agent-opaque');
      expect(opaque.status, JSON.stringify(opaque.body)).toBe(200);
      expect(await introspect(opaque.body.access_token as string, 'agent-opaque')).toMatchObject({ active: true, sub: 'u-alice', act: { sub: 'agent' } });
    });

    it("never grants more than the subject token's scope", async () => {
      const user = await login('alice', 'web', 'read');
      const actor_token = await serviceToken();
      const narrowed = await exchange({ subject_token: user.access_token as string, subject_token_type: AT, actor_token, actor_token_type: AT });
      expect(narrowed.body.scope).toBe('read');
      await expectRefused({ subject_token: user.access_token as string, subject_token_type: AT, actor_token, actor_token_type: AT, scope: 'read write' }, /subject token's scope/, 'agent', 'invalid_scope');
    });

    it('honours the policy: actors and may_act_for (user id or username)', async () => {
      const alice = (await login('alice')).access_token as string;
      const bob = (await login('bob')).access_token as string;
      const agentToken = await serviceToken();
      const ok = await exchange({ subject_token: alice, subject_token_type: AT, actor_token: agentToken, actor_token_type: AT }, 'picky');
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      await expectRefused({ subject_token: bob, subject_token_type: AT, actor_token: agentToken, actor_token_type: AT }, /may_act_for/, 'picky');
      await expectRefused({ subject_token: alice, subject_token_type: AT, actor_token: await serviceToken('helper'), actor_token_type: AT }, /actors/, 'picky');
      await expectRefused({ subject_token: alice, subject_token_type: AT, actor_token: agentToken, actor_token_type: AT }, /delegation policy is not set/, 'nodeleg');
      expect(events.some((e) => e.type === 'delegation.refused' && e.clientId === 'picky' && /may_act_for/.test(String(e.details.reason)))).toBe(true);
    });

    it('refuses bad actor tokens and parameters with invalid_request (RFC 8693 §2.1, §2.2.2)', async () => {
      const alice = (await login('alice')).access_token as string;
      const agentToken = await serviceToken();
      const subject = { subject_token: alice, subject_token_type: AT };
      await expectRefused({ ...subject, actor_token: agentToken }, /actor_token_type parameter is missing/);
      await expectRefused({ ...subject, actor_token_type: AT }, /without an actor_token/);
      await expectRefused({ ...subject, actor_token: agentToken, actor_token_type: ID }, /actor_token_type is not supported/);
      await expectRefused({ ...subject, actor_token: 'not-a-token-at-all-but-long-enough', actor_token_type: AT }, /not an active access token/);
      await expectRefused({ ...subject, actor_token: agentToken.slice(0, -4) + 'AAAA', actor_token_type: AT }, /not an active access token/);
      // A refresh token is not an access token.
      const rt = (await login('alice', 'web-opaque')).refresh_token as string;
      await expectRefused({ ...subject, actor_token: rt, actor_token_type: AT }, /not an active access token/);
      // A revoked actor token stops working.
      const revoked = await serviceToken();
      expect((await s.post('/oauth/revoke', { token: revoked }, { authorization: basic('agent', SECRET) })).status).toBe(200);
      await expectRefused({ ...subject, actor_token: revoked, actor_token_type: AT }, /not an active access token/);
      // An actor that is itself acting for someone.
      const delegated = await exchange({ ...subject, actor_token: agentToken, actor_token_type: AT });
      await expectRefused({ ...subject, actor_token: delegated.body.access_token as string, actor_token_type: AT }, /itself a delegated token/);
    });

    it('still refuses our own token as a subject without an actor (no impersonation by re-minting)', async () => {
      const alice = (await login('alice')).access_token as string;
      const r = await exchange({ subject_token: alice, subject_token_type: AT });
      expect(r.status).toBe(400);
      expect(r.body.error_description).toMatch(/No identity provider/);
    });
  });

  describe.runIf(run)('with an identity provider token as the subject', () => {
    it('maps the subject to the local user and nests its act with the provider as issuer', async () => {
      const r = await exchange({ subject_token: await idToken({ act: { sub: 'upstream-svc' } }), subject_token_type: ID, actor_token: await serviceToken(), actor_token_type: AT });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const claims = await claimsOf(r.body.access_token as string);
      expect(claims).toMatchObject({ sub: 'u-alice', idp: 'idp-a', act: { sub: 'agent', act: { sub: 'upstream-svc', iss: IDP } } });
    });

    it('honours may_act (RFC 8693 §4.4): sub and issuer must both match the actor', async () => {
      const actor_token = await serviceToken();
      const ok = await exchange({ subject_token: await idToken({ may_act: { sub: 'agent', iss: s.config.issuer } }), subject_token_type: ID, actor_token, actor_token_type: AT });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      await expectRefused({ subject_token: await idToken({ may_act: { sub: 'someone-else', iss: s.config.issuer } }), subject_token_type: ID, actor_token, actor_token_type: AT }, /may_act/);
      // Without iss, may_act names a party of the provider, not of this server.
      await expectRefused({ subject_token: await idToken({ may_act: { sub: 'agent' } }), subject_token_type: ID, actor_token, actor_token_type: AT }, /may_act/);
      await expectRefused({ subject_token: await idToken({ may_act: 'agent' }), subject_token_type: ID, actor_token, actor_token_type: AT }, /may_act claim without a sub/);
    });

    it('refuses a malformed or too deep act chain in the subject token', async () => {
      const actor_token = await serviceToken();
      await expectRefused({ subject_token: await idToken({ act: { iss: 'x' } }), subject_token_type: ID, actor_token, actor_token_type: AT }, /act claim without a valid sub/);
      let deep: Record<string, unknown> = { sub: 'a0' };
      for (let i = 1; i <= 6; i++) deep = { sub: `a${i}`, act: deep };
      await expectRefused({ subject_token: await idToken({ act: deep }), subject_token_type: ID, actor_token, actor_token_type: AT }, /longer than 5 actors/);
    });
  });
});
