import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../../src/crypto/password-hash.js';
import { startTestServer, type TestServer } from '../../support/server.js';
import { fixtureNames, loadFixture, replay, sdkView, type WireFixture } from '../../support/wire.js';

/**
 * Replays every recorded KnetikCloud SDK request (test/fixtures/wire/knetik-*.json) byte for byte: at the root
 * (the RFC endpoint already speaks KnetikCloud's form) and under the knetik profile's prefix. Social grants
 * (grant_type=facebook|google) go to loopback stand-ins for Facebook's debug_token and an RFC 7662 endpoint.
 */
let s: TestServer;
let idp: Server;
let idpUrl: string;

function startIdp(): Promise<void> {
  idp = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (url.pathname === '/debug_token') {
        const valid = url.searchParams.get('input_token') === 'fb-test-access-token' && url.searchParams.get('access_token') === '1234|app-secret';
        res.end(JSON.stringify({ data: valid ? { app_id: '1234', user_id: 'fb-user-1', is_valid: true, expires_at: 0 } : { is_valid: false } }));
        return;
      }
      const token = new URLSearchParams(body).get('token');
      res.end(JSON.stringify(token === 'google-test-id-token' ? { active: true, sub: 'google-user-1' } : { active: false }));
    });
  });
  return new Promise((resolve) =>
    idp.listen(0, '127.0.0.1', () => {
      const a = idp.address();
      idpUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
      resolve();
    }),
  );
}

beforeAll(async () => {
  await startIdp();
  s = await startTestServer({
    env: { TESSERA_PROFILES: 'knetik=/knetik' },
    doc: {
      clients: [
        { client_id: 'sdkcompat-server', client_secret: 'sdkcompat-server-secret', token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], scope: 'read write' },
        { client_id: 'sdkcompat-web', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token', 'facebook', 'google'], scope: 'read write' },
        // The all-options recording uses client "c" with secret "s" (shorter than an operator may set, so as a hash).
        { client_id: 'c', client_secret_hash: await hashSecret('s'), token_endpoint_auth_method: 'client_secret_post', grant_types: ['password', 'refresh_token'], scope: 'read write' },
      ],
      users: [
        { username: 'jdoe', password: 'p@ss word+&=1' },
        // Recorded with password "p", shorter than an operator may set: given as its hash, like client "c".
        { username: 'u', password_hash: await hashSecret('p') },
      ],
      identity_providers: [
        { name: 'facebook', type: 'introspection', format: 'facebook', endpoint: `${idpUrl}/debug_token`, app_id: '1234', app_token: '1234|app-secret', auto_provision: true },
        { name: 'google', type: 'introspection', endpoint: `${idpUrl}/introspect`, client_id: 'tessera', client_secret: 'introspection-secret', auto_provision: true },
      ],
    },
  });
});
afterAll(async () => {
  await s?.stop();
  await new Promise((r) => idp?.close(r));
});

function request(f: WireFixture): NonNullable<WireFixture['request']> {
  return f.request!;
}

async function expectResolves(f: WireFixture, prefix: string, body?: string): Promise<Record<string, unknown>> {
  const res = await replay(s.url, request(f), { target: prefix + request(f).target, ...(body !== undefined ? { body } : {}) });
  expect(res.status, res.text).toBe(200);
  // Served as JSON: a text/plain answer leaves the SDK with an empty OAuth2Resource (knetik-non-json-content-type).
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const json = res.json!;
  expect(sdkView(f, json)).toEqual(f.sdk_result.types);
  // On the wire expires_in is an RFC 6749 number; the SDK turns it into the string it declares.
  expect(Number.isInteger(json.expires_in)).toBe(true);
  return json;
}

describe('KnetikCloud wire recordings', () => {
  it('covers every knetik recording', () => {
    expect(fixtureNames().filter((n) => n.startsWith('knetik-'))).toEqual([
      'knetik-all-options',
      'knetik-client_credentials',
      'knetik-empty-and-null-options',
      'knetik-error-401',
      'knetik-facebook',
      'knetik-google',
      'knetik-non-json-content-type',
      'knetik-password',
      'knetik-refresh_token',
    ]);
  });

  for (const prefix of ['', '/knetik']) {
    describe(`at ${prefix || 'the root'}`, () => {
      it('knetik-client_credentials: client secret in the form body', async () => {
        const body = await expectResolves(loadFixture('knetik-client_credentials'), prefix);
        expect(body.scope).toBe('read write');
      });

      it('knetik-non-json-content-type: the same request, answered as application/json so the SDK reads it', async () => {
        const f = loadFixture('knetik-non-json-content-type');
        const body = await expectResolves({ ...f, sdk_result: loadFixture('knetik-client_credentials').sdk_result }, prefix);
        expect(typeof body.access_token).toBe('string');
      });

      it('knetik-password then knetik-refresh_token: the encoded password, then the refresh token it returned', async () => {
        const first = await expectResolves(loadFixture('knetik-password'), prefix);
        const f = loadFixture('knetik-refresh_token');
        // The recording carries the refresh token its own server issued; present the one Tessera issued.
        const refreshed = await expectResolves(f, prefix, request(f).body.replace('krt_0003', encodeURIComponent(first.refresh_token as string)));
        expect(refreshed.refresh_token).not.toBe(first.refresh_token);
      });

      it('knetik-all-options: every option sent, only the password grant’s own parameters used', async () => {
        const body = await expectResolves(loadFixture('knetik-all-options'), prefix);
        expect(typeof body.refresh_token).toBe('string');
      });

      for (const name of ['knetik-facebook', 'knetik-google']) {
        it(`${name}: grant_type is the provider's name, the third-party token in "token"`, async () => {
          const body = await expectResolves(loadFixture(name), prefix);
          expect(typeof body.refresh_token).toBe('string');
        });
      }

      it('knetik-error-401: a wrong secret is 401 invalid_client, so the SDK rejects', async () => {
        const f = loadFixture('knetik-error-401');
        const res = await replay(s.url, request(f), { target: prefix + request(f).target });
        expect(res.status).toBe(f.sdk_result.rejection!.status);
        expect(res.json).toMatchObject({ error: 'invalid_client' });
      });

      it('knetik-empty-and-null-options: client_secret= is an absent secret (RFC 6749 §3.1), and client_credentials needs one', async () => {
        const f = loadFixture('knetik-empty-and-null-options');
        const res = await replay(s.url, request(f), { target: prefix + request(f).target });
        // The recording's server accepted a secret-less client_credentials request; RFC 6749 §4.4 allows that
        // grant to confidential clients only, so Tessera refuses it (the SDK rejects on the 401).
        expect(res.status).toBe(401);
        expect(res.json).toMatchObject({ error: 'invalid_client' });
      });
    });
  }

  it('the prefix only serves POST', async () => {
    const res = await fetch(`${s.url}/knetik/oauth/token`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});
