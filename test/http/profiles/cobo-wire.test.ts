import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { startTestServer, type TestServer } from '../../support/server.js';
import { fixtureNames, loadFixture, replay, sdkView, type WireFixture } from '../../support/wire.js';
import { COBO_APP, coboDoc, FIXTURE_ED25519_KEY, FIXTURE_ORG, plantRefreshToken } from '../../support/cobo.js';

/**
 * Replays every recorded Cobo SDK request (test/fixtures/wire/cobo-*.json) byte for byte against a real server
 * with the cobo profile. The recordings' nonces are from November 2023, so these servers accept a signature
 * window of ten years; freshness and single use are proven with new signatures in request-signature.test.ts.
 */
const TEN_YEARS_MS = String(10 * 365 * 86400 * 1000);
const SPECIAL_CLIENT = "app id!'()*~";
const SPECIAL_ORG = 'org/ü+1';

let root: TestServer;
let v2: TestServer;
let special: TestServer;

beforeAll(async () => {
  [root, v2, special] = await Promise.all([
    startTestServer({ doc: coboDoc(), env: { TESSERA_PROFILES: 'cobo', TESSERA_SIGNATURE_WINDOW_MS: TEN_YEARS_MS } }),
    startTestServer({ doc: coboDoc(), env: { TESSERA_PROFILES: 'cobo=/v2', TESSERA_SIGNATURE_WINDOW_MS: TEN_YEARS_MS } }),
    // The special-characters recording signs for client "app id!'()*~" in org "org/ü+1" with the Ed25519 key.
    startTestServer({
      doc: coboDoc({ clientId: SPECIAL_CLIENT, orgId: SPECIAL_ORG, keys: [FIXTURE_ED25519_KEY] }),
      env: { TESSERA_PROFILES: 'cobo', TESSERA_SIGNATURE_WINDOW_MS: TEN_YEARS_MS },
    }),
  ]);
  // The refresh recordings present the refresh tokens the SDK was given earlier; their bodies are signed, so
  // those exact values must be live refresh tokens of the app's installation.
  for (const token of ['crt_0014', 'crt_0016', 'tök/"\u2028']) await plantRefreshToken(root, token, COBO_APP, FIXTURE_ORG);
});
afterAll(async () => Promise.all([root?.stop(), v2?.stop(), special?.stop()]));

function request(f: WireFixture): NonNullable<WireFixture['request']> {
  if (!f.request) throw new Error(`${f.case} has no request`);
  return f.request;
}

async function expectSdkResolves(s: TestServer, f: WireFixture): Promise<Record<string, unknown>> {
  const res = await replay(s.url, request(f));
  expect(res.status, res.text).toBe(f.response!.status);
  // Both SDKs silently produce an empty result unless the answer is served as JSON.
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['pragma']).toBe('no-cache');
  const body = res.json!;
  expect(Object.keys(body).sort()).toEqual(Object.keys(f.sdk_result.value!).sort());
  expect(sdkView(f, body)).toEqual(f.sdk_result.types);
  expect(Number.isInteger(body.expires_in)).toBe(true);
  expect(body.token_type).toBe('Bearer');
  return body;
}

async function verifyAccessToken(s: TestServer, token: string): Promise<Record<string, unknown>> {
  const jwks = (await (await fetch(s.url + '/.well-known/jwks.json')).json()) as { keys: [] };
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: s.config.issuer });
  return payload;
}

describe('Cobo wire recordings, replayed against the cobo profile', () => {
  it('covers every cobo recording', () => {
    const handled = [
      'cobo-getToken-base-path-prefix',
      'cobo-getToken-cache-false',
      'cobo-getToken-ed25519',
      'cobo-getToken-empty-org_id',
      'cobo-getToken-error-401',
      'cobo-getToken-no-private-key',
      'cobo-getToken-secp256k1',
      'cobo-getToken-special-chars',
      'cobo-refreshToken-ed25519',
      'cobo-refreshToken-secp256k1',
      'cobo-refreshToken-unicode-body',
    ];
    expect(fixtureNames().filter((n) => n.startsWith('cobo-'))).toEqual(handled);
  });

  for (const name of ['cobo-getToken-ed25519', 'cobo-getToken-secp256k1', 'cobo-getToken-cache-false']) {
    it(`${name}: 200 with an org token for the installation`, async () => {
      const body = await expectSdkResolves(root, loadFixture(name));
      expect(body.scope).toBe('wallet:read');
      const claims = await verifyAccessToken(root, body.access_token as string);
      expect(claims).toMatchObject({ sub: FIXTURE_ORG, org_id: FIXTURE_ORG, client_id: COBO_APP, scope: 'wallet:read' });
    });
  }

  it('cobo-getToken-base-path-prefix: the signed path includes the /v2 prefix', async () => {
    const body = await expectSdkResolves(v2, loadFixture('cobo-getToken-base-path-prefix'));
    expect((await verifyAccessToken(v2, body.access_token as string)).org_id).toBe(FIXTURE_ORG);
  });

  it('a recording signed for the root path is not served by a profile mounted at /v2 (the root stays RFC-shaped)', async () => {
    const res = await replay(v2.url, request(loadFixture('cobo-getToken-ed25519')));
    expect(res.status).toBe(405);
    expect(res.json).toMatchObject({ error: 'method_not_allowed' });
  });

  it('cobo-getToken-special-chars: the wire query is decoded and re-encoded the SDK way before verifying', async () => {
    const body = await expectSdkResolves(special, loadFixture('cobo-getToken-special-chars'));
    expect(await verifyAccessToken(special, body.access_token as string)).toMatchObject({ sub: SPECIAL_ORG, client_id: SPECIAL_CLIENT });
  });

  it('cobo-getToken-empty-org_id: the SDK dropped the empty org_id, so the request is a plain 400 invalid_request', async () => {
    const f = loadFixture('cobo-getToken-empty-org_id');
    const res = await replay(root.url, request(f));
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: 'invalid_request' });
    expect(res.json!.error_description).toMatch(/org_id/);
  });

  it('cobo-getToken-error-401: a 401 makes the SDK reject (the key is registered to another client here)', async () => {
    const f = loadFixture('cobo-getToken-error-401');
    const res = await replay(special.url, request(f));
    expect(res.status).toBe(f.sdk_result.rejection!.status);
    expect(res.json).toMatchObject({ error: 'invalid_client' });
  });

  it('cobo-getToken-error-401: the same recording is refused by a server with the default nonce window', async () => {
    const s = await startTestServer({ doc: coboDoc(), env: { TESSERA_PROFILES: 'cobo' } });
    try {
      const res = await replay(s.url, request(loadFixture('cobo-getToken-error-401')));
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ error: 'invalid_client' });
      expect(res.json!.error_description).toMatch(/window/);
    } finally {
      await s.stop();
    }
  });

  it('cobo-getToken-no-private-key: the SDK fails before sending anything, so there is nothing on the wire', () => {
    const f = loadFixture('cobo-getToken-no-private-key');
    expect(f.request).toBeNull();
    expect(f.sdk_result.resolved).toBe(false);
  });

  for (const name of ['cobo-refreshToken-ed25519', 'cobo-refreshToken-secp256k1', 'cobo-refreshToken-unicode-body']) {
    it(`${name}: signed JSON refresh answered 201 with a rotated refresh token`, async () => {
      const f = loadFixture(name);
      const presented = (JSON.parse(request(f).body) as { refresh_token: string }).refresh_token;
      const body = await expectSdkResolves(root, f);
      expect(body.refresh_token).not.toBe(presented);
      expect(await verifyAccessToken(root, body.access_token as string)).toMatchObject({ sub: FIXTURE_ORG, org_id: FIXTURE_ORG });
    });
  }

  it('a recorded request replayed a second time is refused: each nonce is single use', async () => {
    const f = loadFixture('cobo-getToken-ed25519');
    await replay(root.url, request(f));
    const res = await replay(root.url, request(f));
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ error: 'invalid_client' });
    expect(res.json!.error_description).toMatch(/already used/);
  });
});
