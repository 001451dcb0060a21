import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { calculateJwkThumbprint, createRemoteJWKSet, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Interop (issue 24): oauth4webapi, an independent strict client with its own DPoP implementation, obtains
 * DPoP-bound tokens from Tessera (with server nonces on, so its use_dpop_nonce retry is exercised too), and a
 * resource server written on plain `jose`, knowing nothing of Tessera, accepts them: it checks the access token
 * against the JWKS, then the proof (typ, signature by its embedded key, htm, htu, ath, freshness) and that the
 * proof's key is the token's cnf.jkt (RFC 9449 §7).
 */
const SECRET = 'interop-dpop-secret-0123456';
const PASSWORD = 'correct horse battery';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let s: TestServer;
let as: oauth.AuthorizationServer;
let rs: Server;
let rsUrl: string;

/** A resource server on jose alone: 200 with the token's sub, or 401 with a DPoP challenge naming the failure. */
function joseResourceServer(issuer: string): Server {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  const seen = new Set<string>();
  return createServer((req, res) => {
    void (async () => {
      const auth = req.headers.authorization ?? '';
      const proof = req.headers.dpop;
      if (!auth.startsWith('DPoP ') || typeof proof !== 'string') throw new Error('DPoP token and proof required');
      const token = auth.slice(5);
      const { payload: at } = await jwtVerify(token, jwks, { issuer, typ: 'at+jwt' });
      const { payload: p, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', maxTokenAge: '60s', algorithms: ['ES256', 'EdDSA', 'Ed25519', 'PS256', 'RS256'] });
      const url = `${rsUrl}${req.url!.split('?')[0]}`;
      if (p.htm !== req.method || p.htu !== url) throw new Error('htm/htu');
      if (p.ath !== createHash('sha256').update(token).digest('base64url')) throw new Error('ath');
      if (typeof p.jti !== 'string' || seen.has(p.jti)) throw new Error('jti');
      seen.add(p.jti);
      const jkt = await calculateJwkThumbprint(protectedHeader.jwk as JWK);
      if ((at.cnf as { jkt?: string } | undefined)?.jkt !== jkt) throw new Error('cnf.jkt');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: at.sub }));
    })().catch((err: Error) => {
      res.writeHead(401, { 'www-authenticate': `DPoP error="invalid_token", error_description="${err.message}"` }).end();
    });
  });
}

beforeAll(async () => {
  s = await startTestServer({
    env: { TESSERA_DPOP_NONCE: 'true' },
    doc: {
      clients: [
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', dpop_bound_access_tokens: true },
        { client_id: 'spa', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read' },
      ],
      users: [{ id: 'u-ada', username: 'ada', password: PASSWORD }],
    },
  });
  const issuer = new URL(s.config.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  rs = joseResourceServer(s.config.issuer);
  await new Promise<void>((resolve) => rs.listen(0, '127.0.0.1', resolve));
  rsUrl = `http://127.0.0.1:${(rs.address() as AddressInfo).port}`;
}, 30_000);
afterAll(async () => {
  rs?.close();
  await s?.stop();
});

/** oauth4webapi's documented pattern: a use_dpop_nonce answer is retried once, the handle holding the nonce. */
async function withNonceRetry<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    return run();
  }
}

async function callResource(token: string, dpop: oauth.DPoPHandle): Promise<Response> {
  return oauth.protectedResourceRequest(token, 'GET', new URL(`${rsUrl}/things?page=1`), new Headers(), null, { DPoP: dpop, ...insecure });
}

describe('oauth4webapi (DPoP) against Tessera, tokens accepted by a plain-jose resource server', () => {
  it('gets a DPoP-bound client_credentials token, after the nonce round trip', async () => {
    expect(as.dpop_signing_alg_values_supported).toContain('ES256');
    const client: oauth.Client = { client_id: 'svc' };
    const dpop = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const t = await withNonceRetry(async () =>
      oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(SECRET), { scope: 'read' }, { DPoP: dpop, ...insecure })),
    );
    expect(t.token_type).toBe('dpop');
    const res = await callResource(t.access_token, dpop);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'svc' });
  });

  it('a resource server refuses the same token presented with another key', async () => {
    const client: oauth.Client = { client_id: 'svc' };
    const dpop = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const t = await withNonceRetry(async () =>
      oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(SECRET), { scope: 'read' }, { DPoP: dpop, ...insecure })),
    );
    const thief = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    // oauth4webapi surfaces a 401 challenge as an error carrying the parsed challenge.
    const refused = await callResource(t.access_token, thief).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = (refused as oauth.WWWAuthenticateChallengeError).cause[0]!;
    expect(challenge.scheme).toBe('dpop');
    expect(challenge.parameters.error_description).toBe('cnf.jkt');
  });

  it('a public client logs in and refreshes with its key (bound refresh token), EdDSA this time', async () => {
    const client: oauth.Client = { client_id: 'spa' };
    const dpop = oauth.DPoP(client, await oauth.generateKeyPair('EdDSA'));
    const login = await withNonceRetry(async () =>
      oauth.processGenericTokenEndpointResponse(as, client, await oauth.genericTokenEndpointRequest(as, client, oauth.None(), 'password', { username: 'ada', password: PASSWORD, scope: 'read' }, { DPoP: dpop, ...insecure })),
    );
    expect(login.token_type).toBe('dpop');
    const refreshed = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), login.refresh_token!, { DPoP: dpop, ...insecure })),
    );
    expect(refreshed.token_type).toBe('dpop');
    expect((await callResource(refreshed.access_token, dpop)).status).toBe(200);
  });
});
