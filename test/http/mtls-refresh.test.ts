import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, thumbprintOf, tlsPost, type TestPki } from '../support/certificates.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/services.js';

/**
 * RFC 8705 §4: a public client that asked for certificate-bound access tokens gets refresh tokens bound to the
 * same certificate (stored with the family, so on both engines). A refresh with another certificate, or none,
 * fails and consumes nothing. Real TLS connections to Tessera's own listener.
 */
const PASSWORD = 'correct horse battery';
const pg = await postgresAvailable();

describe.each([
  { engine: 'SQLite', run: true },
  { engine: 'PostgreSQL', run: pg },
])('certificate-bound refresh tokens of a public client on $engine', ({ engine, run }) => {
  let pki: TestPki;
  let s: TestServer;
  let db: TestDatabase | undefined;
  const events: Array<{ type: string; details: Record<string, unknown> }> = [];

  beforeAll(async () => {
    if (!run) return;
    pki = makeTestPki();
    db = engine === 'PostgreSQL' ? await createTestDatabase() : undefined;
    const doc = {
      clients: [
        { client_id: 'app', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read', tls_client_certificate_bound_access_tokens: true },
        { client_id: 'plain-app', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read' },
      ],
      users: [{ username: 'ada', password: PASSWORD }],
    };
    s = await startTestServer({ doc, env: { TESSERA_TLS_CERT: pki.server.certFile, TESSERA_TLS_KEY: pki.server.keyFile, TESSERA_TLS_CLIENT_CA: pki.ca.certFile, ...(db ? { TESSERA_DATABASE_URL: db.url } : {}) } });
    s.ctx.events.addSink({ name: 'test', accept: (e) => void events.push({ type: e.type, details: (e.details ?? {}) as Record<string, unknown> }) });
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    await db?.drop();
    pki?.remove();
  });

  const login = (clientId: string, as = pki.client) => tlsPost(pki, `${s.url}/oauth/token`, { grant_type: 'password', client_id: clientId, username: 'ada', password: PASSWORD }, as);
  const refresh = (clientId: string, token: string, as?: typeof pki.client) => tlsPost(pki, `${s.url}/oauth/token`, { grant_type: 'refresh_token', client_id: clientId, refresh_token: token }, as);

  it.runIf(run)('binds the family to the certificate: the same certificate refreshes, and the new token is bound to it', async () => {
    const first = await login('app');
    expect(first.status).toBe(200);
    expect(decodeJwt(String(first.body.access_token)).cnf).toEqual({ 'x5t#S256': thumbprintOf(pki.client.cert) });
    const next = await refresh('app', String(first.body.refresh_token), pki.client);
    expect(next.status).toBe(200);
    expect(decodeJwt(String(next.body.access_token)).cnf).toEqual({ 'x5t#S256': thumbprintOf(pki.client.cert) });
  });

  it.runIf(run)('refuses a refresh with another certificate (invalid_grant, a security event) and consumes nothing', async () => {
    const first = await login('app');
    events.length = 0;
    const stolen = await refresh('app', String(first.body.refresh_token), pki.other);
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toBe('invalid_grant');
    expect(events.filter((e) => e.type === 'client_certificate.binding_mismatch').map((e) => e.details.reason)).toEqual(['refresh_token_bound_to_another_certificate']);
    // The rightful holder still refreshes with the same refresh token: the refusal rotated nothing.
    expect((await refresh('app', String(first.body.refresh_token), pki.client)).status).toBe(200);
  });

  it.runIf(run)('refuses a refresh without a certificate (invalid_request) and consumes nothing', async () => {
    const first = await login('app');
    const bare = await refresh('app', String(first.body.refresh_token));
    expect(bare.status).toBe(400);
    expect(bare.body.error).toBe('invalid_request');
    expect(String(bare.body.error_description)).toMatch(/present a TLS client certificate/);
    expect((await refresh('app', String(first.body.refresh_token), pki.client)).status).toBe(200);
  });

  it.runIf(run)('a public client that did not opt in keeps unbound bearer tokens and refreshes with any certificate or none', async () => {
    const first = await login('plain-app');
    expect(first.status).toBe(200);
    expect(decodeJwt(String(first.body.access_token)).cnf).toBeUndefined();
    const next = await refresh('plain-app', String(first.body.refresh_token), pki.other);
    expect(next.status).toBe(200);
    expect((await refresh('plain-app', String(next.body.refresh_token))).status).toBe(200);
  });
});
