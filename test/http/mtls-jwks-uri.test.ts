import { X509Certificate } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateClient } from '../../src/admin/clients.js';
import { makeTestPki, thumbprintOf, tlsPost, type Issued, type TestPki } from '../support/certificates.js';
import { startPeer, type Peer } from '../support/peer.js';
import { followerCaughtUp, startTestServer, type TestServer } from '../support/server.js';

/**
 * RFC 8705 §2.2.2: a self_signed_tls_client_auth client registers its certificates at its jwks_uri. Real TLS
 * connections to Tessera's own listener; the client's JWK Set is served by a small HTTP server on loopback.
 */
describe('self_signed_tls_client_auth with the certificates at jwks_uri', () => {
  let pki: TestPki;
  let peer: Peer;
  let s: TestServer;
  /** A second self-signed certificate: the one the rotating client moves to. */
  let rotated: Issued;
  let rotatingServes: Issued[];

  /** A JWK Set naming each certificate as a key would: its public key with the certificate in x5c (RFC 7517 §4.7). */
  const jwksOf = (...certs: Issued[]) => ({ keys: certs.map((c) => ({ ...new X509Certificate(c.cert).publicKey.export({ format: 'jwk' }), x5c: [pki.der(c.cert)] })) });
  const tokenFor = (clientId: string, as?: Issued) => tlsPost(pki, `${s.url}/oauth/token`, { grant_type: 'client_credentials', client_id: clientId }, as);
  /** Resolves when the change follower has delivered a change of this client (every cache has followed it by then). */
  const clientChanged = (clientId: string) => new Promise<void>((resolve) => s.ctx.changes.subscribe('client', (id) => void (id === clientId && resolve())));
  const moveJwksUri = async (clientId: string, path: string) => {
    const changed = clientChanged(clientId);
    await updateClient(s.ctx.store, clientId, { jwks_uri: peer.url + path }, { masterKey: s.masterKey.key, defaults: { accessTokenTtl: s.config.accessTokenTtl } });
    await changed;
  };

  beforeAll(async () => {
    pki = makeTestPki();
    rotated = pki.selfSign('rotated');
    rotatingServes = [pki.selfSigned];
    const cacheable = { 'cache-control': 'max-age=600' };
    peer = await startPeer({
      '/self/jwks': () => ({ headers: cacheable, body: jwksOf(pki.selfSigned) }),
      '/rotating/jwks': () => ({ headers: cacheable, body: jwksOf(...rotatingServes) }),
      '/a/jwks': () => ({ headers: cacheable, body: jwksOf(pki.selfSigned) }),
      '/b/jwks': () => ({ headers: cacheable, body: jwksOf(rotated) }),
    });
    const down = await startPeer();
    await down.close();
    const base = { grant_types: ['client_credentials'], scope: 'read', token_endpoint_auth_method: 'self_signed_tls_client_auth' };
    const clients = [
      { ...base, client_id: 'self-uri', jwks_uri: `${peer.url}/self/jwks` },
      { ...base, client_id: 'rotating', jwks_uri: `${peer.url}/rotating/jwks` },
      { ...base, client_id: 'moving', jwks_uri: `${peer.url}/a/jwks` },
      { ...base, client_id: 'unreachable', jwks_uri: `${down.url}/jwks` },
    ];
    s = await startTestServer({ doc: { clients }, env: { TESSERA_TLS_CERT: pki.server.certFile, TESSERA_TLS_KEY: pki.server.keyFile, TESSERA_TLS_CLIENT_CA: pki.ca.certFile } });
    // The import's own client changes reach the caches after start; let them pass so fetch counts are exact.
    await followerCaughtUp(s);
  });
  afterAll(async () => {
    await s?.stop();
    await peer?.close();
    pki?.remove();
  });

  it('authenticates with the certificate the JWK Set names (x5c) and binds the token to it (cnf x5t#S256); the set is fetched once', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await tokenFor('self-uri', pki.selfSigned);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(decodeJwt(r.body.access_token as string).cnf).toEqual({ 'x5t#S256': thumbprintOf(pki.selfSigned.cert) });
    }
    expect(peer.hits('/self/jwks')).toBe(1);
  });

  it('refuses a certificate the set does not name (invalid_client), refetching at most once per cooldown', async () => {
    for (const as of [pki.client, pki.other, pki.rogue]) {
      const r = await tokenFor('self-uri', as);
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
    }
    // The first unknown certificate may be a rotation: one refetch; the others within the cooldown do not reach the client's server.
    expect(peer.hits('/self/jwks')).toBe(2);
    const none = await tokenFor('self-uri');
    expect(none.status).toBe(401);
    expect(String(none.body.error_description)).toMatch(/none was presented/);
  });

  it('answers 503 temporarily_unavailable with Retry-After, not 500, when the jwks_uri is unreachable', async () => {
    const r = await tokenFor('unreachable', pki.selfSigned);
    expect(r.status).toBe(503);
    expect(r.body.error).toBe('temporarily_unavailable');
    expect(r.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('accepts a rotated certificate as soon as the JWK Set serves it (one refetch), and then no longer the old one', async () => {
    expect((await tokenFor('rotating', pki.selfSigned)).status).toBe(200);
    expect(peer.hits('/rotating/jwks')).toBe(1);
    rotatingServes = [rotated];
    const r = await tokenFor('rotating', rotated);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(decodeJwt(r.body.access_token as string).cnf).toEqual({ 'x5t#S256': thumbprintOf(rotated.cert) });
    expect(peer.hits('/rotating/jwks')).toBe(2);
    const old = await tokenFor('rotating', pki.selfSigned);
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
  });

  it('follows a client update: a changed jwks_uri is read at once, and the set of the URL it left is fetched anew', async () => {
    expect((await tokenFor('moving', pki.selfSigned)).status).toBe(200);
    expect(peer.hits('/a/jwks')).toBe(1);
    await moveJwksUri('moving', '/b/jwks');
    expect((await tokenFor('moving', rotated)).status).toBe(200);
    expect(peer.hits('/b/jwks')).toBe(1);
    // The certificate of the old URL's set is not taken from it (after the one refetch of the new set it may cause).
    expect((await tokenFor('moving', pki.selfSigned)).status).toBe(401);
    expect(peer.hits('/a/jwks')).toBe(1);
    // Back to the first URL: the client change dropped the set cached for it, so it is fetched again.
    await moveJwksUri('moving', '/a/jwks');
    expect((await tokenFor('moving', pki.selfSigned)).status).toBe(200);
    expect(peer.hits('/a/jwks')).toBe(2);
  });
});
