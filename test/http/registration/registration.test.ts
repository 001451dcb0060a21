import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, type TestServer } from '../../support/server.js';
import { createClient } from '../../../src/admin/clients.js';
import { SECRET } from '../admin/helpers.js';
import { call, register, startRegistrationServer, tokenOf } from './helpers.js';

let s: TestServer;
let initial: string;

beforeAll(async () => {
  s = await startRegistrationServer();
  initial = await tokenOf(s, 'registrar');
});
afterAll(async () => s.stop());

/**
 * An RFC 7591 §3.2.2 error: 400, JSON, the code, a description naming the field. Descriptions keep to RFC 6749
 * §5.2's character set, so the field rules' double quotes arrive as single quotes.
 */
function expectRefusal(r: { status: number; headers: Headers; body: Record<string, unknown> }, code: string, mentions?: string): void {
  expect(r.status, JSON.stringify(r.body)).toBe(400);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(r.headers.get('cache-control')).toBe('no-store');
  expect(r.body.error).toBe(code);
  expect(typeof r.body.error_description).toBe('string');
  if (mentions !== undefined) expect(r.body.error_description).toContain(mentions);
}

describe('POST /oauth/register (RFC 7591)', () => {
  it('registers a confidential client (201, §3.2.1 response) that gets a token at once and shows in the admin API', async () => {
    const r = await register(s, initial, { client_name: 'Billing sync', grant_types: ['client_credentials'], scope: 'read write', contacts: ['ops@example.com'], software_id: 'x' });
    expect(r.status, r.text).toBe(201);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('pragma')).toBe('no-cache');
    const b = r.body;
    expect(b).toMatchObject({ client_name: 'Billing sync', grant_types: ['client_credentials'], scope: 'read write', token_endpoint_auth_method: 'client_secret_basic', client_secret_expires_at: 0 });
    expect(typeof b.client_id).toBe('string');
    expect((b.client_secret as string).length).toBeGreaterThanOrEqual(32);
    expect((b.registration_access_token as string).length).toBeGreaterThanOrEqual(32);
    expect(b.registration_client_uri).toBe(`${s.config.issuer}/oauth/register/${encodeURIComponent(b.client_id as string)}`);
    expect(Math.abs((b.client_id_issued_at as number) - Date.now() / 1000)).toBeLessThan(10);
    // Metadata this server does not store is ignored (§2), not echoed.
    expect(b).not.toHaveProperty('contacts');
    expect(b).not.toHaveProperty('software_id');

    const t = await s.post('/oauth/token', { grant_type: 'client_credentials', scope: 'read' }, { authorization: basic(b.client_id as string, b.client_secret as string) });
    expect(t.status).toBe(200);
    expect(t.body.scope).toBe('read');

    const admin = await tokenOf(s, 'admin');
    const shown = await call(s.url, 'GET', `/admin/v1/clients/${encodeURIComponent(b.client_id as string)}`, { token: admin });
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ name: 'Billing sync', scope: 'read write', has_secret: true });
    expect(shown.text).not.toContain(b.client_secret as string);
  });

  it('applies the server defaults when metadata is omitted, and accepts an opaque initial access token', async () => {
    const r = await register(s, await tokenOf(s, 'registrar-opaque'), {});
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: '' });
    expect(r.body).not.toHaveProperty('client_name');
  });

  it('registers a private_key_jwt client with jwks and no secret', async () => {
    const jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] };
    const r = await register(s, initial, { token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'], jwks });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks });
    expect(r.body).not.toHaveProperty('client_secret');
    expect(r.body).not.toHaveProperty('client_secret_expires_at');
  });

  it('registers client_secret_post and refresh_token, and accepts empty redirect_uris / response_types', async () => {
    const r = await register(s, initial, { token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials', 'refresh_token'], redirect_uris: [], response_types: [] });
    expect(r.status, r.text).toBe(201);
    const t = await s.post('/oauth/token', { grant_type: 'client_credentials', client_id: r.body.client_id as string, client_secret: r.body.client_secret as string });
    expect(t.status).toBe(200);
  });

  it('records an admin.change event naming the initial token\'s client, with no secret in it', async () => {
    const seen: Array<Record<string, unknown>> = [];
    s.ctx.events.addSink({ name: 'test', accept: (e) => seen.push(e as unknown as Record<string, unknown>) });
    const r = await register(s, initial, { scope: 'read' });
    expect(r.status).toBe(201);
    const ev = seen.find((e) => e.type === 'admin.change');
    expect(ev).toMatchObject({ actor: { kind: 'admin_api', id: 'registrar' }, details: { resource: 'client', action: 'register', client_id: r.body.client_id } });
    expect(JSON.stringify(ev)).not.toContain(r.body.client_secret as string);
    expect(JSON.stringify(ev)).not.toContain(r.body.registration_access_token as string);
  });
});

describe('the initial access token', () => {
  it('401 with a Bearer challenge and no error code without a token', async () => {
    const r = await register(s, undefined, {});
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="tessera-register"');
    expect(r.body.error).toBe('invalid_token');
  });

  it('401 invalid_token for a forged, garbled or non-bearer credential', async () => {
    for (const authorization of ['Bearer abc.def.ghi', 'Bearer not-a-token', `Basic ${Buffer.from('registrar:x').toString('base64')}`, 'Bearer']) {
      const r = await call(s.url, 'POST', '/oauth/register', { body: {}, headers: { authorization } });
      expect(r.status, authorization).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="tessera-register"/);
    }
    const r = await register(s, 'x'.repeat(43), {});
    expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('403 insufficient_scope for a valid token without tessera:register (admin tokens included)', async () => {
    for (const holder of ['plain', 'admin']) {
      const r = await register(s, await tokenOf(s, holder), {});
      expect(r.status).toBe(403);
      expect(r.body.error).toBe('insufficient_scope');
      expect(r.headers.get('www-authenticate')).toContain('scope="tessera:register"');
    }
  });

  it('401 for a revoked initial access token', async () => {
    const t = await tokenOf(s, 'registrar');
    const rv = await s.post('/oauth/revoke', { token: t }, { authorization: basic('registrar', 'admin-secret-1234') });
    expect(rv.status).toBe(200);
    expect((await register(s, t, {})).status).toBe(401);
  });
});

describe('RFC 7591 §3.2.2 errors', () => {
  it('invalid_redirect_uri for redirect_uris (no redirect-based grants here)', async () => {
    expectRefusal(await register(s, initial, { redirect_uris: ['https://app.example/cb'] }), 'invalid_redirect_uri', 'redirect_uris');
    expectRefusal(await register(s, initial, { redirect_uris: 'https://app.example/cb' }), 'invalid_redirect_uri');
  });

  it('invalid_client_metadata with the field rules\' own messages', async () => {
    expectRefusal(await register(s, initial, { grant_types: 'client_credentials' }), 'invalid_client_metadata', 'grant_types');
    expectRefusal(await register(s, initial, { grant_types: [] }), 'invalid_client_metadata', 'grant_types');
    expectRefusal(await register(s, initial, { scope: 'read bad"scope' }), 'invalid_client_metadata', 'is not a valid scope token (RFC 6749');
    expectRefusal(await register(s, initial, { client_name: 42 }), 'invalid_client_metadata', 'client_name');
    expectRefusal(await register(s, initial, { token_endpoint_auth_method: 'private_key_jwt' }), 'invalid_client_metadata', 'jwks: private_key_jwt needs jwks or jwks_uri');
    expectRefusal(await register(s, initial, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://example.com/jwks' }), 'invalid_client_metadata', 'jwks_uri: must be an https URL');
    expectRefusal(await register(s, initial, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://example.com/jwks', jwks: { keys: [] } }), 'invalid_client_metadata', 'must not both be present');
    expectRefusal(await register(s, initial, { response_types: ['code'] }), 'invalid_client_metadata', 'response_types');
  });

  it('invalid_client_metadata for values only the server sets', async () => {
    for (const field of ['client_id', 'client_secret', 'client_id_issued_at', 'client_secret_expires_at', 'registration_access_token', 'registration_client_uri']) {
      expectRefusal(await register(s, initial, { [field]: field === 'client_id_issued_at' || field === 'client_secret_expires_at' ? 0 : 'chosen-value-1234' }), 'invalid_client_metadata', field);
    }
  });

  it('invalid_client_metadata for a body that is not a JSON object', async () => {
    expectRefusal(await register(s, initial, 'not json'), 'invalid_client_metadata', 'not valid JSON');
    expectRefusal(await register(s, initial, '[1,2]'), 'invalid_client_metadata', 'JSON object');
    expectRefusal(await register(s, initial, 'null'), 'invalid_client_metadata', 'JSON object');
    expectRefusal(await call(s.url, 'POST', '/oauth/register', { token: initial, body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 'invalid_client_metadata', 'application/json');
  });

  it('405 with Allow for other methods on the registration endpoint', async () => {
    const r = await call(s.url, 'GET', '/oauth/register', { token: initial });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
  });
});

describe('the allow-list for self-registered clients (defaults)', () => {
  it('refuses grant types outside it (password, token exchange) and a public client', async () => {
    expectRefusal(await register(s, initial, { grant_types: ['password'] }), 'invalid_client_metadata', "'password' is not allowed for self-registered clients");
    expectRefusal(await register(s, initial, { grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'] }), 'invalid_client_metadata', 'not allowed');
    expectRefusal(await register(s, initial, { token_endpoint_auth_method: 'none', grant_types: ['refresh_token'] }), 'invalid_client_metadata', "'none' is not allowed for self-registered clients");
    expectRefusal(await register(s, initial, { token_endpoint_auth_method: 'client_secret_jwt' }), 'invalid_client_metadata', 'token_endpoint_auth_method');
  });

  it('refuses Tessera\'s own management scopes', async () => {
    for (const scope of ['tessera:admin', 'read tessera:admin:read', 'tessera:register']) {
      expectRefusal(await register(s, initial, { scope }), 'invalid_client_metadata', 'Tessera management scope');
    }
  });
});

describe('configured allow-list', () => {
  let c: TestServer;
  beforeAll(async () => {
    c = await startRegistrationServer({ TESSERA_REGISTRATION_ENABLED: 'true', TESSERA_REGISTRATION_GRANT_TYPES: 'client_credentials', TESSERA_REGISTRATION_AUTH_METHODS: 'private_key_jwt,client_secret_basic,self_signed_tls_client_auth', TESSERA_REGISTRATION_SCOPES: 'read tessera:admin:read' });
  });
  afterAll(async () => c.stop());

  it('allows only the listed scopes, a tessera:* scope when listed, and only the listed grants', async () => {
    const t = await tokenOf(c, 'registrar');
    expect((await register(c, t, { scope: 'read tessera:admin:read' })).status).toBe(201);
    expectRefusal(await register(c, t, { scope: 'write' }), 'invalid_client_metadata', "'write' is not allowed for self-registered clients (allowed: read tessera:admin:read)");
    expectRefusal(await register(c, t, { grant_types: ['client_credentials', 'refresh_token'] }), 'invalid_client_metadata', "'refresh_token' is not allowed");
    expectRefusal(await register(c, t, { token_endpoint_auth_method: 'client_secret_post' }), 'invalid_client_metadata', "'client_secret_post' is not allowed");
  });

  it('registers a self_signed_tls_client_auth client with its certificates at jwks_uri (RFC 8705 §2.2.2) when listed', async () => {
    const t = await tokenOf(c, 'registrar');
    const r = await register(c, t, { token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks_uri: 'https://device.example/jwks.json', scope: 'read' });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks_uri: 'https://device.example/jwks.json' });
    expect(r.body).not.toHaveProperty('client_secret');
    expectRefusal(await register(c, t, { token_endpoint_auth_method: 'self_signed_tls_client_auth', scope: 'read' }), 'invalid_client_metadata', 'self_signed_tls_client_auth needs jwks or jwks_uri');
    expectRefusal(await register(c, t, { token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks_uri: 'http://device.example/jwks.json', scope: 'read' }), 'invalid_client_metadata', 'jwks_uri: must be an https URL');
  });
});

describe('metadata', () => {
  it('documents the three endpoints in /openapi.json', async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/oauth/register'] ?? {})).toContain('post');
    expect(Object.keys(doc.paths['/oauth/register/{client_id}'] ?? {})).toEqual(expect.arrayContaining(['get', 'put', 'delete']));
  });

  it('advertises registration_endpoint when enabled', async () => {
    const m = (await (await fetch(`${s.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(m.registration_endpoint).toBe(`${s.config.issuer}/oauth/register`);
  });
});

describe('registration off (the default)', () => {
  let off: TestServer;
  beforeAll(async () => {
    off = await startRegistrationServer({});
  });
  afterAll(async () => off.stop());

  it('answers 404 at both endpoints and leaves registration_endpoint out of the metadata', async () => {
    const t = await tokenOf(off, 'registrar');
    const r = await register(off, t, {});
    expect(r.status).toBe(404);
    expect((await call(off.url, 'GET', '/oauth/register/registrar', { token: t })).status).toBe(404);
    const m = (await (await fetch(`${off.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(m).not.toHaveProperty('registration_endpoint');
  });
});

describe('rate limit', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startRegistrationServer({ TESSERA_REGISTRATION_ENABLED: 'true', TESSERA_RATE_LIMIT_IP_POINTS: '3', TESSERA_RATE_LIMIT_IP_DURATION: '60' });
  });
  afterAll(async () => limited.stop());

  it('counts registration requests against the per-address budget like the other endpoints (429, Retry-After)', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof register>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await register(limited, 'not-a-token', {});
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(last!.body.error).toBe('too_many_requests');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('the initial access token\'s audience', () => {
  it('401 invalid_token for a tessera:register token meant for another resource (RFC 9068 §4)', async () => {
    await createClient(s.ctx.store, { client_id: 'registrar-elsewhere', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:register', audience: ['https://api.example'] }, { masterKey: s.masterKey.key, defaults: { accessTokenTtl: s.config.accessTokenTtl } });
    const r = await register(s, await tokenOf(s, 'registrar-elsewhere'), {});
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_token');
    expect(r.body.error_description).toContain('another audience');
  });
});
