import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSPKI, importJWK } from 'jose';
import { basic, startTestServer, type TestServer } from '../../support/server.js';
import { hmacJwt, jwks, makeKey, nowSeconds, sign, startPeer, unsecuredJwt, type Peer, type TestKey } from '../../support/peer.js';
import { captureLog } from '../../support/log-lines.js';

const TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const REFUSED = 'Client authentication failed';
const log = captureLog();
/** Why the last assertion was refused: only in the debug log, never in the answer (one description for all). */
const lastReason = () => String(log.withMsg('client assertion refused').at(-1)?.reason);

let s: TestServer;
let peer: Peer;
let inlineKey: TestKey;
let remoteKeys: TestKey[];
let closedUrl: string;

function claims(clientId: string, extra: Record<string, unknown> = {}) {
  const now = nowSeconds();
  return { iss: clientId, sub: clientId, aud: `${s.config.issuer}/oauth/token`, iat: now, exp: now + 60, jti: randomUUID(), ...extra };
}

function token(assertion: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return s.post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: assertion, ...extra }, headers);
}

beforeAll(async () => {
  inlineKey = await makeKey('c-1', 'ES256');
  remoteKeys = [await makeKey('r-1', 'RS256')];
  peer = await startPeer({ '/client-jwks': () => ({ body: jwks(...remoteKeys) }) });
  const gone = await startPeer();
  closedUrl = gone.url;
  await gone.close();
  s = await startTestServer({
    logStream: log.stream,
    doc: {
      clients: [
        { client_id: 'pkj', token_endpoint_auth_method: 'private_key_jwt', jwks: jwks(inlineKey), grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'pkj-remote', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${peer.url}/client-jwks`, grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'pkj-down', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${closedUrl}/jwks`, grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'basic-client', client_secret: 'basic-secret-123', grant_types: ['client_credentials'], scope: 'read' },
      ],
    },
  });
}, 30_000);

afterAll(async () => {
  await s?.stop();
  await peer?.close();
});

describe('private_key_jwt (RFC 7523 §2.2)', () => {
  it('authenticates with an inline key; aud may be the token endpoint or the issuer, alone or in an array', async () => {
    for (const aud of [`${s.config.issuer}/oauth/token`, s.config.issuer, ['https://x.example', s.config.issuer]]) {
      const r = await token(await sign(inlineKey, claims('pkj', { aud })));
      expect(r.status).toBe(200);
    }
  });

  it('accepts a matching client_id parameter and refuses a different one', async () => {
    expect((await token(await sign(inlineKey, claims('pkj')), { client_id: 'pkj' })).status).toBe(200);
    const r = await token(await sign(inlineKey, claims('pkj')), { client_id: 'pkj-remote' });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
  });

  it('rejects a replayed assertion (jti single-use until exp)', async () => {
    const a = await sign(inlineKey, claims('pkj'));
    expect((await token(a)).status).toBe(200);
    const again = await token(a);
    expect(again.status).toBe(401);
    expect(again.body).toEqual({ error: 'invalid_client', error_description: REFUSED });
    expect(lastReason()).toMatch(/already used/);
  });

  it.each([
    ['a wrong aud', { aud: 'https://elsewhere.example' }, /aud/],
    ['no exp', { exp: undefined }, /exp/],
    ['an exp too far away', { exp: nowSeconds() + 3600 }, /longer/],
    ['an expired assertion', { exp: nowSeconds() - 600 }, /expired/],
    ['nbf in the future', { nbf: nowSeconds() + 600 }, /nbf/],
    ['iat in the future', { iat: nowSeconds() + 600 }, /iat/],
    ['no jti', { jti: undefined }, /jti/],
    ['sub different from iss', { sub: 'someone-else' }, /iss and sub/],
  ])('rejects %s with 401 invalid_client (the reason in the debug log only)', async (_what, extra: Record<string, unknown>, reason) => {
    const r = await token(await sign(inlineKey, claims('pkj', extra)));
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'invalid_client', error_description: REFUSED });
    expect(lastReason()).toMatch(reason);
  });

  it('rejects alg none', async () => {
    const r = await token(unsecuredJwt(claims('pkj')));
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
  });

  it('rejects HS256 keyed with the registered public key (alg confusion)', async () => {
    const pem = await exportSPKI((await importJWK(inlineKey.publicJwk, 'ES256', { extractable: true })) as CryptoKey);
    for (const secret of [pem, JSON.stringify(inlineKey.publicJwk)]) {
      const r = await token(await hmacJwt(new TextEncoder().encode(secret), claims('pkj'), { kid: 'c-1' }));
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
    }
  });

  it('rejects a key the client did not register', async () => {
    const rogue = await makeKey('c-1');
    expect((await token(await sign(rogue, claims('pkj')))).status).toBe(401);
  });

  it('fetches keys from the client jwks_uri and follows a client key rotation', async () => {
    expect((await token(await sign(remoteKeys[0]!, claims('pkj-remote')))).status).toBe(200);
    const next = await makeKey('r-2', 'PS256');
    remoteKeys = [remoteKeys[0]!, next];
    expect((await token(await sign(next, claims('pkj-remote')))).status).toBe(200);
  });

  it('answers 503 when the client jwks_uri is down', async () => {
    const r = await token(await sign(inlineKey, claims('pkj-down')));
    expect(r.status).toBe(503);
    expect(r.body.error).toBe('temporarily_unavailable');
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('refuses an assertion for a client registered with another method', async () => {
    expect((await token(await sign(inlineKey, claims('basic-client')))).status).toBe(401);
  });

  it('refuses two authentication methods at once and a half-sent assertion', async () => {
    const both = await token(await sign(inlineKey, claims('pkj')), {}, { authorization: basic('basic-client', 'basic-secret-123') });
    expect(both.body.error).toBe('invalid_request');
    const typeOnly = await s.post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: TYPE });
    expect(typeOnly.body.error).toBe('invalid_request');
    const wrongType = await s.post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: 'urn:example:saml', client_assertion: await sign(inlineKey, claims('pkj')) });
    expect(wrongType.body.error).toBe('invalid_client');
  });

  // RFC 7523 §3 leaves aud to the server: at /oauth/revoke and /oauth/introspect the URL of the endpoint called is
  // accepted too, and only that endpoint's, so an assertion made for one endpoint does not open another.
  describe('at the revocation and introspection endpoints', () => {
    const ENDPOINTS = ['/oauth/revoke', '/oauth/introspect'] as const;
    const call = async (path: string, aud: unknown, token = 'not-a-token') =>
      s.post(path, { token, client_assertion_type: TYPE, client_assertion: await sign(inlineKey, claims('pkj', { aud })) });

    it.each(ENDPOINTS)('%s accepts its own URL, the token endpoint URL and the issuer as aud', async (path) => {
      const issued = await token(await sign(inlineKey, claims('pkj')));
      expect(issued.status).toBe(200);
      for (const aud of [`${s.config.issuer}${path}`, [`https://x.example`, `${s.config.issuer}${path}`], `${s.config.issuer}/oauth/token`, s.config.issuer]) {
        const r = await call(path, aud, issued.body.access_token as string);
        expect(r.status, JSON.stringify(aud)).toBe(200);
        if (path === '/oauth/introspect') expect(r.body).toMatchObject({ active: true, client_id: 'pkj' });
      }
    });

    it.each([
      ['/oauth/introspect', '/oauth/revoke'],
      ['/oauth/revoke', '/oauth/introspect'],
      ['/oauth/token', '/oauth/introspect'],
      ['/oauth/token', '/oauth/revoke'],
    ])('%s refuses an assertion whose aud is the URL of %s', async (path, other) => {
      const aud = `${s.config.issuer}${other}`;
      const r = path === '/oauth/token' ? await token(await sign(inlineKey, claims('pkj', { aud }))) : await call(path, aud);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: 'invalid_client', error_description: REFUSED });
      expect(lastReason()).toMatch(/aud/);
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    });

    it('refuses a look-alike of the endpoint URL', async () => {
      for (const aud of [`${s.config.issuer}/oauth/introspect/`, `${s.config.issuer}/x/oauth/introspect`, `${s.config.issuer}/OAUTH/INTROSPECT`]) {
        expect((await call('/oauth/introspect', aud)).status, aud).toBe(401);
      }
    });
  });

  it('lists truthful signing algorithms in the metadata', async () => {
    const meta = (await (await fetch(s.url + '/.well-known/oauth-authorization-server')).json()) as Record<string, string[]>;
    expect(meta.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['private_key_jwt', 'client_secret_jwt']));
    const algs = meta.token_endpoint_auth_signing_alg_values_supported!;
    expect(algs).toEqual(expect.arrayContaining(['RS256', 'PS256', 'ES256', 'EdDSA', 'HS256']));
    expect(algs).not.toContain('none');
  });
});
