import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { basic, startTestServer, type TestServer } from '../../support/server.js';
import { makeKey, nowSeconds, sign } from '../../support/peer.js';
import { captureLog } from '../../support/log-lines.js';
import { rotateClientSecret } from '../../../src/admin/client-secrets.js';
import { secretId } from '../../../src/crypto/secret-id.js';

const TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const SECRET = 'a-long-shared-client-secret-0123456789';
// RFC 7518 §3.2: an HMAC key at least as long as the hash output (64 bytes covers HS512).
const LONG_SECRET = 'a-64-byte-shared-client-secret-for-every-hs-algorithm-0123456789';
const log = captureLog();

let s: TestServer;

function claims(clientId = 'csj', extra: Record<string, unknown> = {}) {
  const now = nowSeconds();
  return { iss: clientId, sub: clientId, aud: s.config.issuer, iat: now, exp: now + 60, jti: randomUUID(), ...extra };
}

function mac(secret: string, c: Record<string, unknown>, alg = 'HS256') {
  return new SignJWT(c).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
}

function token(assertion: string) {
  return s.post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: assertion });
}

beforeAll(async () => {
  s = await startTestServer({
    logStream: log.stream,
    env: { TESSERA_PROFILES: 'knetik=/knetik' },
    doc: {
      clients: [
        { client_id: 'csj-rot', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_jwt', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'csj', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_jwt', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'csj-long', client_secret: LONG_SECRET, token_endpoint_auth_method: 'client_secret_jwt', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'csj-short', client_secret: 'only-31-bytes-long-secret-12345', token_endpoint_auth_method: 'client_secret_jwt', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'basic-client', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
      ],
    },
  });
}, 30_000);

afterAll(async () => s?.stop());

describe('client_secret_jwt (RFC 7523 §2.2, HMAC with the client secret)', () => {
  it('during a rotation overlap both sealed secrets verify, each counted under its own secret id; expired, the old one fails', async () => {
    const rotated = await rotateClientSecret(s.ctx.store, 'csj-rot', s.masterKey.key, { keepOldFor: '1h' });
    s.ctx.clients.invalidate('csj-rot');
    expect((await token(await mac(rotated.secret, claims('csj-rot')))).status).toBe(200);
    expect((await token(await mac(SECRET, claims('csj-rot')))).status).toBe(200);
    expect((await token(await mac('neither-of-the-two-secrets', claims('csj-rot')))).status).toBe(401);
    const used = s.ctx.secrets.usage.snapshot()['csj-rot']!;
    expect(used[rotated.secretId]?.uses).toBe(1);
    expect(used[rotated.kept!.secretId]?.uses).toBe(1);
    expect(rotated.kept!.secretId).toBe(secretId((await s.ctx.store.clients.get('csj-rot'))!.previousSecretHash!));
    await s.ctx.store.clients.update('csj-rot', { previousSecretExpiresAt: nowSeconds() - 1 });
    s.ctx.clients.invalidate('csj-rot');
    expect((await token(await mac(SECRET, claims('csj-rot')))).status).toBe(401);
    expect((await token(await mac(rotated.secret, claims('csj-rot')))).status).toBe(200);
  });

  it.each(['HS256', 'HS384', 'HS512'])('authenticates with %s', async (alg) => {
    const r = await token(await mac(LONG_SECRET, claims('csj-long'), alg));
    expect(r.status).toBe(200);
  });

  // RFC 7518 §3.2 asks for a key as long as the hash output; a secret the operator chose shorter is still accepted,
  // as every client library signs with it (jose and WebCrypto do not check): refusing it would break such clients.
  it('accepts an assertion MACed with a configured secret shorter than the hash output of its alg', async () => {
    for (const alg of ['HS256', 'HS384', 'HS512']) expect((await token(await mac('only-31-bytes-long-secret-12345', claims('csj-short'), alg))).status, alg).toBe(200);
  });

  it('generates secrets long enough for HS512', async () => {
    const rotated = await rotateClientSecret(s.ctx.store, 'csj-short', s.masterKey.key, {});
    s.ctx.clients.invalidate('csj-short');
    expect(Buffer.byteLength(rotated.secret)).toBeGreaterThanOrEqual(64);
    expect((await token(await mac(rotated.secret, claims('csj-short'), 'HS512'))).status).toBe(200);
  });

  it('stores the secret sealed, never in clear', async () => {
    const c = await s.ctx.store.clients.get('csj');
    expect(c!.secretEncrypted).toMatch(/^v1\./);
    expect(JSON.stringify(c)).not.toContain(SECRET);
  });

  it('rejects a wrong secret, a replay and an expired assertion', async () => {
    expect((await token(await mac('not-the-secret-at-all', claims()))).status).toBe(401);
    const a = await mac(SECRET, claims());
    expect((await token(a)).status).toBe(200);
    const again = await token(a);
    expect(again.status).toBe(401);
    expect(again.body).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
    expect(log.withMsg('client assertion refused').at(-1)?.reason).toMatch(/already used/);
    expect((await token(await mac(SECRET, claims('csj', { exp: nowSeconds() - 600 })))).body.error).toBe('invalid_client');
  });

  it('accepts the token endpoint URL of a compatibility profile as aud on that route only', async () => {
    const prefixed = `${s.config.issuer}/knetik/oauth/token`;
    const form = async (aud: string) => ({ grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: await mac(SECRET, claims('csj', { aud })) });
    expect((await s.post('/knetik/oauth/token', await form(prefixed))).status).toBe(200);
    expect((await s.post('/knetik/oauth/token', await form(`${s.config.issuer}/oauth/token`))).status).toBe(200);
    expect((await s.post('/oauth/token', await form(prefixed))).status).toBe(401);
  });

  it('accepts the URL of the revocation or introspection endpoint as aud at that endpoint only', async () => {
    const form = async (aud: string) => ({ token: 'not-a-token', client_assertion_type: TYPE, client_assertion: await mac(SECRET, claims('csj', { aud })) });
    const [revoke, introspect] = [`${s.config.issuer}/oauth/revoke`, `${s.config.issuer}/oauth/introspect`];
    expect((await s.post('/oauth/revoke', await form(revoke))).status).toBe(200);
    expect((await s.post('/oauth/introspect', await form(introspect))).body).toEqual({ active: false });
    const crossed = [await s.post('/oauth/introspect', await form(revoke)), await s.post('/oauth/revoke', await form(introspect)), await token(await mac(SECRET, claims('csj', { aud: introspect })))];
    for (const r of crossed) {
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
    }
  });

  it('refuses an asymmetric assertion for a client_secret_jwt client and an HMAC one for a secret_basic client', async () => {
    const key = await makeKey('k');
    expect((await token(await sign(key, claims()))).status).toBe(401);
    expect((await token(await mac(SECRET, claims('basic-client')))).status).toBe(401);
    // The Basic secret still works for basic-client.
    expect((await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('basic-client', SECRET) })).status).toBe(200);
  });
});
