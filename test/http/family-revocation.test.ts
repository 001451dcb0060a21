import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashToken } from '../../src/crypto/token-hash.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { auth, introspect, LIFECYCLE_CLIENTS, PASSWORD, passwordTokens, revoke, SECRET } from './lifecycle-helpers.js';

/**
 * Issue 18 item 12: every access token of a revoked refresh-token family introspects inactive, JWTs included
 * (they carry the family as `sid`), whether the family ended by reuse detection (RFC 9700 §4.14.2), by
 * revoking a refresh token (RFC 7009 §2.1) or by revoking the installation an org family belongs to. A cached
 * positive answer is re-checked, so each case introspects the token once before the revocation.
 */
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: [
        ...LIFECYCLE_CLIENTS,
        { client_id: 'org-app', client_secret: SECRET, grant_types: ['org_implicit', 'refresh_token'], scope: 'wallet:read' },
        { client_id: 'org-opaque', client_secret: SECRET, grant_types: ['org_implicit', 'refresh_token'], scope: 'wallet:read', access_token_format: 'opaque' },
      ],
      users: [{ id: 'u-ada', username: 'Ada', password: PASSWORD }],
      organizations: [{ id: 'acme', name: 'Acme' }],
      installations: [
        { org_id: 'acme', client_id: 'org-app', scope: 'wallet:read' },
        { org_id: 'acme', client_id: 'org-opaque', scope: 'wallet:read' },
      ],
    },
  });
});
afterAll(async () => s?.stop());

const refresh = (client: string, token: string) => s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: token }, auth(client));

function payload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

async function familyOf(refreshToken: string): Promise<string> {
  return (await s.ctx.store.refreshTokens.find(hashToken(refreshToken)))!.family.familyId;
}

/** Both access tokens of a family (the login's and a refreshed one), each introspected active (and cached) first. */
async function familyTokens(client: string): Promise<{ first: string; second: string; rotated: string; newest: string }> {
  const login = await passwordTokens(s, client);
  const r = await refresh(client, login.refresh);
  expect(r.status).toBe(200);
  const second = r.body.access_token as string;
  for (const t of [login.access, second]) expect((await introspect(s, t, client)).body.active).toBe(true);
  for (const t of [login.access, second]) expect((await introspect(s, t, 'resource-server')).body.active).toBe(true);
  return { first: login.access, second, rotated: login.refresh, newest: r.body.refresh_token as string };
}

async function expectInactive(client: string, ...tokens: string[]): Promise<void> {
  for (const t of tokens) {
    expect((await introspect(s, t, client)).body).toEqual({ active: false });
    expect((await introspect(s, t, 'resource-server')).body).toEqual({ active: false });
  }
}

describe('access tokens of a revoked family introspect inactive', () => {
  it('a JWT names its family in `sid`; a client_credentials JWT has none', async () => {
    const login = await passwordTokens(s, 'jwt-app');
    expect(payload(login.access).sid).toBe(await familyOf(login.refresh));
    const cc = await s.post('/oauth/token', { grant_type: 'client_credentials' }, auth('jwt-app'));
    expect(payload(cc.body.access_token as string).sid).toBeUndefined();
    // Introspection shows it like any other claim (RFC 7662 §2.2), for opaque tokens of a family too.
    expect((await introspect(s, login.access, 'jwt-app')).body.sid).toBe(await familyOf(login.refresh));
    const opaque = await passwordTokens(s, 'opaque-app');
    expect((await introspect(s, opaque.access, 'opaque-app')).body.sid).toBe(await familyOf(opaque.refresh));
    expect((await introspect(s, cc.body.access_token as string, 'jwt-app')).body.sid).toBeUndefined();
  });

  it.each(['jwt-app', 'opaque-app'])('after reuse detection (%s)', async (client) => {
    const t = await familyTokens(client);
    const reused = await refresh(client, t.rotated);
    expect(reused.body.error).toBe('invalid_grant');
    await expectInactive(client, t.first, t.second);
  });

  it.each(['jwt-app', 'opaque-app'])('after the refresh token is revoked (RFC 7009, %s)', async (client) => {
    const t = await familyTokens(client);
    expect((await revoke(s, t.newest, client, { token_type_hint: 'refresh_token' })).status).toBe(200);
    await expectInactive(client, t.first, t.second);
  });

  it('leaves the access tokens of other families of the same user and client alone', async () => {
    const doomed = await familyTokens('jwt-app');
    const kept = await familyTokens('jwt-app');
    expect((await revoke(s, doomed.newest, 'jwt-app')).status).toBe(200);
    await expectInactive('jwt-app', doomed.second);
    expect((await introspect(s, kept.second, 'jwt-app')).body.active).toBe(true);
    expect((await introspect(s, kept.first, 'resource-server')).body.active).toBe(true);
  });

  it.each(['org-app', 'org-opaque'])('after the installation is revoked (%s): the org_implicit token and a refreshed one', async (client) => {
    const org = await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'acme' }, auth(client));
    expect(org.status).toBe(200);
    const first = org.body.access_token as string;
    // org_implicit's own first access token belongs to the family too.
    if (client === 'org-app') expect(payload(first).sid).toBe(await familyOf(org.body.refresh_token as string));
    const r = await refresh(client, org.body.refresh_token as string);
    const second = r.body.access_token as string;
    for (const t of [first, second]) expect((await introspect(s, t, client)).body).toMatchObject({ active: true, org_id: 'acme' });
    // As `tessera install revoke` does from another process: this server learns of it from the change feed.
    const inst = (await s.ctx.store.installations.find('acme', client))!;
    await s.ctx.store.installations.update(inst.id, { status: 'revoked', revokedAt: s.ctx.now() });
    await vi.waitFor(async () => expect((await introspect(s, first, client)).body).toEqual({ active: false }), { timeout: 5000, interval: 25 });
    await expectInactive(client, first, second);
  });
});
