import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { basic, startTestServer, type TestServer } from '../../support/server.js';
import { jwks, makeKey, nowSeconds, sign, startPeer, unsecuredJwt, type Peer, type TestKey } from '../../support/peer.js';

const JB = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const SECRET = 'jwt-bearer-secret-1';
const ISS = 'https://partner.example';

let s: TestServer;
let peer: Peer;
let partner: TestKey;
let inlineKey: TestKey;

function grant(assertion: string, client = 'svc', extra: Record<string, string> = {}) {
  return s.post('/oauth/token', { grant_type: JB, assertion, ...extra }, { authorization: basic(client, SECRET) });
}

function assertion(claims: Record<string, unknown> = {}, key = partner) {
  const now = nowSeconds();
  return sign(key, { iss: ISS, sub: 'partner-user-1', aud: s.config.issuer, iat: now, exp: now + 120, jti: randomUUID(), ...claims });
}

beforeAll(async () => {
  partner = await makeKey('p-1', 'ES256');
  inlineKey = await makeKey('inline-1', 'EdDSA');
  peer = await startPeer({ '/jwks': () => ({ body: jwks(partner) }) });
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'svc', client_secret: SECRET, grant_types: [JB], scope: 'read write' },
        { client_id: 'other', client_secret: SECRET, grant_types: [JB], scope: 'read' },
      ],
      identity_providers: [
        { name: 'partner', type: 'jwt_bearer', issuer: ISS, jwks_uri: `${peer.url}/jwks`, auto_provision: true, max_assertion_lifetime: 300, allowed_clients: ['svc'] },
        { name: 'inline', type: 'jwt_bearer', issuer: 'https://inline.example', jwks: jwks(inlineKey), require_jti: false },
      ],
    },
  });
}, 30_000);

afterAll(async () => {
  await s?.stop();
  await peer?.close();
});

describe('RFC 7523 §2.1 JWT bearer grant', () => {
  it('exchanges a valid assertion (aud = issuer) for a token of the mapped user', async () => {
    const r = await grant(await assertion());
    expect(r.status).toBe(200);
    expect(r.body.issued_token_type).toBeUndefined();
    const link = await s.ctx.store.userLinks.get('partner', 'partner-user-1');
    const set = (await (await fetch(s.url + '/.well-known/jwks.json')).json()) as { keys: [] };
    const { payload } = await jwtVerify(r.body.access_token as string, createLocalJWKSet(set), { issuer: s.config.issuer });
    expect(payload).toMatchObject({ sub: link!.userId, idp: 'partner', scope: 'read write' });
  });

  it('accepts the token endpoint URL as aud, alone or in an array', async () => {
    expect((await grant(await assertion({ aud: `${s.config.issuer}/oauth/token` }))).status).toBe(200);
    expect((await grant(await assertion({ aud: ['https://elsewhere.example', `${s.config.issuer}/oauth/token`] }))).status).toBe(200);
  });

  it('rejects a replayed assertion (jti single-use)', async () => {
    const a = await assertion();
    expect((await grant(a)).status).toBe(200);
    const again = await grant(a);
    expect(again.body).toMatchObject({ error: 'invalid_grant' });
    expect(again.body.error_description).toMatch(/already used/);
  });

  it.each([
    ['a wrong aud', { aud: 'https://someone-else.example' }, /aud/],
    ['no exp', { exp: undefined }, /exp/],
    ['an expired assertion', { exp: nowSeconds() - 600 }, /expired/],
    ['a lifetime beyond max_assertion_lifetime', { exp: nowSeconds() + 3600 }, /longer/],
    ['nbf in the future', { nbf: nowSeconds() + 600 }, /nbf/],
    ['iat in the future', { iat: nowSeconds() + 600 }, /iat/],
    ['no jti', { jti: undefined }, /jti/],
    ['an untrusted issuer', { iss: 'https://stranger.example' }, /not trusted/],
  ])('rejects %s', async (_what, claims: Record<string, unknown>, description) => {
    const r = await grant(await assertion(claims));
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
    expect(r.body.error_description).toMatch(description);
  });

  it('rejects alg none and a key the issuer does not publish', async () => {
    const now = nowSeconds();
    expect((await grant(unsecuredJwt({ iss: ISS, sub: 'x', aud: s.config.issuer, exp: now + 60, jti: randomUUID() }))).body.error).toBe('invalid_grant');
    const rogue = await makeKey('p-1');
    expect((await grant(await assertion({}, rogue))).body.error).toBe('invalid_grant');
  });

  it('verifies with inline keys, and refuses an unlinked subject without auto-provisioning', async () => {
    const now = nowSeconds();
    const a = await sign(inlineKey, { iss: 'https://inline.example', sub: 'nobody', aud: s.config.issuer, exp: now + 60 });
    const r = await grant(a);
    expect(r.body).toMatchObject({ error: 'invalid_grant' });
    expect(r.body.error_description).toMatch(/not linked/);
  });

  it("honours the provider's allowed_clients", async () => {
    expect((await grant(await assertion(), 'other')).body).toMatchObject({ error: 'invalid_grant', error_description: 'The assertion issuer is not trusted by this service' });
  });

  it('requires the assertion parameter', async () => {
    expect((await s.post('/oauth/token', { grant_type: JB }, { authorization: basic('svc', SECRET) })).body.error).toBe('invalid_request');
    expect((await grant('not-a-jwt')).body.error).toBe('invalid_grant');
  });
});
