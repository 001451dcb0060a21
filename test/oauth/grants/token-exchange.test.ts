import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, exportSPKI, importJWK, jwtVerify } from 'jose';
import { basic, startTestServer, type TestServer } from '../../support/server.js';
import { hmacJwt, jwks, makeKey, nowSeconds, sign, startPeer, unsecuredJwt, type Peer, type TestKey } from '../../support/peer.js';
import { generateSigningKey } from '../../../src/keys/generate.js';

const TE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const ID = 'urn:ietf:params:oauth:token-type:id_token';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const SECRET = 'downstream-secret-123';
const UP_SECRET = 'upstream-secret-123';

let upstream: TestServer;
let down: TestServer;
let peer: Peer;
let keyA: TestKey;
let keyB: TestKey;
let closedUrl: string;

async function upstreamToken(clientId: string): Promise<string> {
  const r = await upstream.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(clientId, UP_SECRET) });
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
  return r.body.access_token as string;
}

function exchange(form: Record<string, string>, client = 'app') {
  return down.post('/oauth/token', { grant_type: TE, ...form }, { authorization: basic(client, SECRET) });
}

async function verifyDownstream(token: string) {
  const set = (await (await fetch(down.url + '/.well-known/jwks.json')).json()) as { keys: [] };
  return (await jwtVerify(token, createLocalJWKSet(set), { issuer: down.config.issuer })).payload;
}

function idTokenA(claims: Record<string, unknown> = {}, key = keyA) {
  const now = nowSeconds();
  return sign(key, { iss: 'https://idp-a.example', aud: 'down-at-a', sub: 'a-subject', iat: now, exp: now + 300, ...claims });
}

beforeAll(async () => {
  keyA = await makeKey('a-1');
  keyB = await makeKey('b-1');
  peer = await startPeer({
    '/a/jwks': () => ({ headers: { 'cache-control': 'max-age=600' }, body: jwks(keyA) }),
    '/b/jwks': () => ({ headers: { 'cache-control': 'max-age=600' }, body: jwks(keyB) }),
    '/hang': () => ({ hang: true }),
    '/introspect': (req) => {
      const token = new URLSearchParams(req.body).get('token');
      if (req.headers.authorization !== basic('down', 'introspect-secret')) return { status: 401, body: { error: 'invalid_client' } };
      if (token === 'opaque-good') return { body: { active: true, sub: 'rfc-user-1', client_id: 'their-app', exp: nowSeconds() + 600, scope: 'x' } };
      return { body: { active: false } };
    },
  });
  const gone = await startPeer();
  closedUrl = gone.url;
  await gone.close();

  upstream = await startTestServer({
    doc: {
      clients: [
        { client_id: 'up-app', client_secret: UP_SECRET, grant_types: ['client_credentials'], scope: 'profile', audience: ['tessera-down'] },
        { client_id: 'up-other', client_secret: UP_SECRET, grant_types: ['client_credentials'], scope: 'profile', audience: ['someone-else'] },
      ],
    },
  });
  down = await startTestServer({
    doc: {
      clients: [
        { client_id: 'app', client_secret: SECRET, grant_types: [TE, 'refresh_token'], scope: 'read write', default_scope: 'read', audience: ['https://api.example/', 'orders'] },
        { client_id: 'norefresh', client_secret: SECRET, grant_types: [TE], scope: 'read' },
        { client_id: 'rfc-client', client_secret: SECRET, grant_types: [TE, 'rfc'], scope: 'read' },
        { client_id: 'cc-only', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
      ],
      users: [
        { username: 'alice', email: 'alice@example.com', email_verified: true },
        { username: 'bob', email: 'bob@example.com', email_verified: false },
        { username: 'carol', status: 'disabled' },
      ],
      identity_providers: [
        { name: 'upstream', type: 'oidc', issuer: upstream.config.issuer, jwks_uri: `${upstream.url}/.well-known/jwks.json`, audiences: ['tessera-down'], auto_provision: true },
        { name: 'idp-a', type: 'oidc', issuer: 'https://idp-a.example', jwks_uri: `${peer.url}/a/jwks`, audiences: ['down-at-a'], link_verified_email: true },
        { name: 'idp-b', type: 'oidc', issuer: 'https://idp-b.example', jwks_uri: `${peer.url}/b/jwks`, audiences: ['down-at-a'], auto_provision: true },
        { name: 'idp-c', type: 'oidc', issuer: 'https://idp-c.example', jwks_uri: `${peer.url}/a/jwks`, audiences: ['down-at-a'], auto_provision: true },
        { name: 'rfc', type: 'introspection', endpoint: `${peer.url}/introspect`, client_id: 'down', client_secret: 'introspect-secret', auto_provision: true },
        { name: 'down-idp', type: 'oidc', issuer: 'https://down.example', jwks_uri: `${closedUrl}/jwks`, audiences: ['x'] },
        { name: 'slow-idp', type: 'oidc', issuer: 'https://slow.example', jwks_uri: `${peer.url}/hang`, audiences: ['x'], timeout_ms: 300 },
        { name: 'private-idp', type: 'oidc', issuer: 'https://private.example', jwks_uri: `${peer.url}/a/jwks`, audiences: ['down-at-a'], auto_provision: true, allowed_clients: ['someone'] },
      ],
    },
  });
}, 30_000);

afterAll(async () => {
  await down?.stop();
  await upstream?.stop();
  await peer?.close();
});

describe('RFC 8693 token exchange with a second Tessera as the upstream issuer', () => {
  it('exchanges an upstream RFC 9068 JWT, auto-provisions and links the user, and issues a refresh token', async () => {
    const r = await exchange({ subject_token: await upstreamToken('up-app'), subject_token_type: AT });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toMatchObject({ issued_token_type: AT, token_type: 'Bearer', scope: 'read' });
    expect(typeof r.body.refresh_token).toBe('string');
    const claims = await verifyDownstream(r.body.access_token as string);
    const link = await down.ctx.store.userLinks.get('upstream', 'up-app');
    expect(link).toBeDefined();
    expect(claims).toMatchObject({ sub: link!.userId, idp: 'upstream', client_id: 'app', iss: down.config.issuer });
    const user = await down.ctx.store.users.get(link!.userId);
    expect(user).toMatchObject({ passwordHash: null, status: 'active' });
    expect(user!.username).toMatch(/^upstream-/);

    // The same subject maps to the same user next time (no second account).
    const again = await exchange({ subject_token: await upstreamToken('up-app'), subject_token_type: JWT });
    expect(again.status).toBe(200);
    expect((await verifyDownstream(again.body.access_token as string)).sub).toBe(link!.userId);

    // The refresh token rotates under the normal rules and keeps the provider claim.
    const refreshed = await down.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: r.body.refresh_token as string }, { authorization: basic('app', SECRET) });
    expect(refreshed.status).toBe(200);
    expect(await verifyDownstream(refreshed.body.access_token as string)).toMatchObject({ sub: link!.userId, idp: 'upstream' });
  });

  it('issues no refresh token to a client without the refresh_token grant', async () => {
    const r = await exchange({ subject_token: await upstreamToken('up-app'), subject_token_type: AT }, 'norefresh');
    expect(r.status).toBe(200);
    expect(r.body.refresh_token).toBeUndefined();
  });

  it('rejects an upstream token minted for another audience', async () => {
    const r = await exchange({ subject_token: await upstreamToken('up-other'), subject_token_type: AT });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
    expect(r.body.error_description).toMatch(/aud/);
  });

  it('follows an upstream key rotation (unknown kid -> one JWKS refetch)', async () => {
    const before = await upstreamToken('up-app');
    expect((await exchange({ subject_token: before, subject_token_type: AT })).status).toBe(200);
    const oldKid = decodeProtectedHeader(before).kid;
    await upstream.ctx.store.keys.rotate(await generateSigningKey('ES256', upstream.masterKey.key), nowSeconds() + 3600);
    await upstream.ctx.keys.reload();
    const after = await upstreamToken('up-app');
    expect(decodeProtectedHeader(after).kid).not.toBe(oldKid);
    const r = await exchange({ subject_token: after, subject_token_type: AT });
    expect(r.status).toBe(200);
  });

  it('validates the request parameters (RFC 8693 §2.1, §2.2.2)', async () => {
    const token = await upstreamToken('up-app');
    expect((await exchange({ subject_token_type: AT })).body.error).toBe('invalid_request');
    expect((await exchange({ subject_token: token })).body.error).toBe('invalid_request');
    expect((await exchange({ subject_token: token, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' })).body.error).toBe('invalid_request');
    expect((await exchange({ subject_token: token, subject_token_type: AT, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' })).body.error).toBe('invalid_request');
    expect((await exchange({ subject_token: token, subject_token_type: AT, actor_token: token, actor_token_type: AT })).body.error).toBe('invalid_request');
    expect((await exchange({ subject_token: 'not-a-jwt', subject_token_type: ID })).body.error).toBe('invalid_grant');
    const ok = await exchange({ subject_token: token, subject_token_type: AT, requested_token_type: AT });
    expect(ok.status).toBe(200);
  });

  it('checks audience and resource against the client (invalid_target)', async () => {
    const token = await upstreamToken('up-app');
    const ok = await exchange({ subject_token: token, subject_token_type: AT, audience: 'orders' });
    expect(ok.status).toBe(200);
    expect((await verifyDownstream(ok.body.access_token as string)).aud).toBe('orders');
    const res = await exchange({ subject_token: await upstreamToken('up-app'), subject_token_type: AT, resource: 'https://api.example/' });
    expect(res.status).toBe(200);
    expect((await exchange({ subject_token: token, subject_token_type: AT, audience: 'payments' })).body.error).toBe('invalid_target');
    expect((await exchange({ subject_token: token, subject_token_type: AT, resource: 'not a uri' })).body.error).toBe('invalid_target');
    const noList = await exchange({ subject_token: token, subject_token_type: AT, audience: 'orders' }, 'norefresh');
    expect(noList.body.error).toBe('invalid_target');
  });

  it('a repeated resource and audience become the aud array, and the family remembers them on refresh (RFC 8707)', async () => {
    const form = new URLSearchParams([['grant_type', TE], ['subject_token', await upstreamToken('up-app')], ['subject_token_type', AT], ['resource', 'https://api.example/'], ['audience', 'orders']]);
    const r = await down.post('/oauth/token', form.toString(), { authorization: basic('app', SECRET) });
    expect(r.status).toBe(200);
    expect((await verifyDownstream(r.body.access_token as string)).aud).toEqual(['https://api.example/', 'orders']);
    const refresh = (extra: string) => down.post('/oauth/token', `grant_type=refresh_token&refresh_token=${r.body.refresh_token as string}${extra}`, { authorization: basic('app', SECRET) });
    const narrowed = await refresh('&audience=orders');
    expect((await verifyDownstream(narrowed.body.access_token as string)).aud).toBe('orders');
    const again = await down.post('/oauth/token', `grant_type=refresh_token&refresh_token=${narrowed.body.refresh_token as string}`, { authorization: basic('app', SECRET) });
    expect((await verifyDownstream(again.body.access_token as string)).aud).toEqual(['https://api.example/', 'orders']);
  });

  it('checks scope against the client', async () => {
    const token = await upstreamToken('up-app');
    const ok = await exchange({ subject_token: token, subject_token_type: AT, scope: 'read write' });
    expect(ok.body.scope).toBe('read write');
    expect((await exchange({ subject_token: token, subject_token_type: AT, scope: 'admin' })).body.error).toBe('invalid_scope');
  });

  it('refuses clients without the grant (unauthorized_client)', async () => {
    const r = await down.post('/oauth/token', { grant_type: TE, subject_token: await upstreamToken('up-app'), subject_token_type: AT }, { authorization: basic('cc-only', SECRET) });
    expect(r.body.error).toBe('unauthorized_client');
  });
});

describe('subject token security', () => {
  const rejects = async (token: string, type = ID, description?: RegExp) => {
    const r = await exchange({ subject_token: token, subject_token_type: type });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
    if (description) expect(r.body.error_description).toMatch(description);
  };

  it('rejects alg none', async () => {
    await rejects(unsecuredJwt({ iss: 'https://idp-a.example', aud: 'down-at-a', sub: 'alice-at-a', email: 'alice@example.com', email_verified: true, exp: nowSeconds() + 300 }), ID, /algorithm/);
  });

  it('rejects HS256 keyed with the provider public key (alg confusion)', async () => {
    const pem = await exportSPKI((await importJWK(keyA.publicJwk, 'ES256', { extractable: true })) as CryptoKey);
    const claims = { iss: 'https://idp-a.example', aud: 'down-at-a', sub: 'alice-at-a', email: 'alice@example.com', email_verified: true, exp: nowSeconds() + 300 };
    await rejects(await hmacJwt(new TextEncoder().encode(pem), claims, { kid: 'a-1' }), ID, /algorithm/);
    await rejects(await hmacJwt(new TextEncoder().encode(JSON.stringify(keyA.publicJwk)), claims, { kid: 'a-1' }), ID, /algorithm/);
  });

  it('rejects wrong aud, expired, nbf in the future, iat in the future, missing exp, unknown issuer', async () => {
    const now = nowSeconds();
    await rejects(await idTokenA({ aud: 'someone-else', email: 'alice@example.com', email_verified: true }), ID, /aud/);
    await rejects(await idTokenA({ exp: now - 3600 }), ID, /expired/);
    await rejects(await idTokenA({ nbf: now + 3600 }), ID, /nbf/);
    await rejects(await idTokenA({ iat: now + 3600 }), ID, /iat/);
    await rejects(await sign(keyA, { iss: 'https://idp-a.example', aud: 'down-at-a', sub: 's' }), ID, /exp/);
    await rejects(await idTokenA({ iss: 'https://unknown.example' }), ID, /issuer/);
  });

  it('does not accept a token of provider A as provider B', async () => {
    // Signed by A, claiming B's issuer: B's keys do not verify it (and the kid is unknown there).
    await rejects(await idTokenA({ iss: 'https://idp-b.example', sub: 'someone' }), ID);
    // A genuine A token sent to the B alias (allowed: the client has the token-exchange grant): B's keys refuse it.
    const r = await down.post('/oauth/token', { grant_type: 'idp-b', token: await idTokenA() }, { authorization: basic('app', SECRET) });
    expect(r.body).toMatchObject({ error: 'invalid_grant' });
    // Even a provider that shares A's keys and audience (idp-c) refuses A's token on iss.
    const c = await down.post('/oauth/token', { grant_type: 'idp-c', token: await idTokenA() }, { authorization: basic('app', SECRET) });
    expect(c.body).toMatchObject({ error: 'invalid_grant' });
    expect(c.body.error_description).toMatch(/iss/);
  });

  it('answers 503 with Retry-After when the provider is down or slow, never a 500 or a hang', async () => {
    for (const iss of ['https://down.example', 'https://slow.example']) {
      const r = await exchange({ subject_token: await idTokenA({ iss, aud: 'x' }), subject_token_type: ID });
      expect(r.status).toBe(503);
      expect(r.body.error).toBe('temporarily_unavailable');
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    }
  });

  it('does not let a client use a provider that does not list it (allowed_clients)', async () => {
    await rejects(await idTokenA({ iss: 'https://private.example' }), ID, /issuer/);
  });
});

describe('subject -> local user mapping', () => {
  it('with auto-provisioning off, an unlinked subject is refused', async () => {
    const r = await exchange({ subject_token: await idTokenA({ sub: 'stranger' }), subject_token_type: ID });
    expect(r.body).toMatchObject({ error: 'invalid_grant' });
    expect(r.body.error_description).toMatch(/not linked/);
    expect(await down.ctx.store.userLinks.get('idp-a', 'stranger')).toBeUndefined();
  });

  it('links by email only when the provider says email_verified true and the local email is verified', async () => {
    const unverified = await exchange({ subject_token: await idTokenA({ sub: 'alice-x', email: 'alice@example.com', email_verified: false }), subject_token_type: ID });
    expect(unverified.body.error).toBe('invalid_grant');
    const stringy = await exchange({ subject_token: await idTokenA({ sub: 'alice-x', email: 'alice@example.com', email_verified: 'true' }), subject_token_type: ID });
    expect(stringy.body.error).toBe('invalid_grant');
    const bob = await exchange({ subject_token: await idTokenA({ sub: 'bob-x', email: 'bob@example.com', email_verified: true }), subject_token_type: ID });
    expect(bob.body.error).toBe('invalid_grant');

    const ok = await exchange({ subject_token: await idTokenA({ sub: 'alice-x', email: 'ALICE@example.com', email_verified: true }), subject_token_type: ID });
    expect(ok.status).toBe(200);
    const alice = await down.ctx.store.users.getByUsername('alice');
    expect(await verifyDownstream(ok.body.access_token as string)).toMatchObject({ sub: alice!.id, username: 'alice', idp: 'idp-a' });
    // Linked now: the email no longer matters.
    const later = await exchange({ subject_token: await idTokenA({ sub: 'alice-x' }), subject_token_type: ID });
    expect((await verifyDownstream(later.body.access_token as string)).sub).toBe(alice!.id);
  });

  it('refuses a disabled user', async () => {
    const carol = await down.ctx.store.users.getByUsername('carol');
    await down.ctx.store.userLinks.create({ provider: 'idp-a', subject: 'carol-x', userId: carol!.id });
    const r = await exchange({ subject_token: await idTokenA({ sub: 'carol-x' }), subject_token_type: ID });
    expect(r.body).toMatchObject({ error: 'invalid_grant', error_description: 'The user account is disabled' });
  });
});

describe('opaque access tokens (RFC 7662 introspection provider)', () => {
  it("goes to the client's introspection provider", async () => {
    const r = await exchange({ subject_token: 'opaque-good', subject_token_type: AT }, 'rfc-client');
    expect(r.status).toBe(200);
    expect(await down.ctx.store.userLinks.get('rfc', 'rfc-user-1')).toBeDefined();
    const inactive = await exchange({ subject_token: 'opaque-revoked', subject_token_type: AT }, 'rfc-client');
    expect(inactive.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses an opaque token when the client has no introspection provider', async () => {
    const r = await exchange({ subject_token: 'opaque-good', subject_token_type: AT });
    expect(r.body.error).toBe('invalid_request');
  });
});
