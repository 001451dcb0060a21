import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../../support/server.js';
import { makeApiKey, signedHeaders, type TestApiKey } from '../../support/cobo.js';

/**
 * Statements of the seed platforms' wire contracts (the README of their SDK docs) that the other profile tests do
 * not pin down, each checked over a real socket.
 */
const SECRET = 'smscx-application-secret';

describe('smscx contract', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({
      env: { TESSERA_PROFILES: 'smscx=/smscx' },
      doc: {
        clients: [
          { client_id: 'sms-day', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'sms reports', access_token_ttl: 86400 },
          { client_id: 'sms-week', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'sms', access_token_ttl: 604800 },
        ],
      },
    });
  });
  afterAll(async () => s?.stop());
  const token = (form: string, id = 'sms-day') => s.post('/smscx/oauth/token', form, { authorization: basic(id, SECRET), accept: 'application/json' });

  it('an empty scope, like an omitted one, grants every scope of the application', async () => {
    const r = await token('grant_type=client_credentials&scope=');
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('sms reports');
  });

  it('reads a space-delimited scope encoded with + (Python urlencode) as with %20', async () => {
    expect((await token('grant_type=client_credentials&scope=sms+reports')).body.scope).toBe('sms reports');
    expect((await token('grant_type=client_credentials&scope=sms%20reports')).body.scope).toBe('sms reports');
  });

  it('answers 200 with exactly the fields the SDK reads, expires_in the per-application lifetime as a number', async () => {
    const day = await token('grant_type=client_credentials');
    expect(day.status).toBe(200);
    expect(day.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(day.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(day.body.token_type).toBe('Bearer');
    expect(day.body.expires_in).toBe(86400);
    const week = await token('grant_type=client_credentials', 'sms-week');
    expect(week.body.expires_in).toBe(604800);
  });

  it('carries X-Request-Id, X-Response-Time and X-Rate-Limit-Limit/Remaining on 200, 400 and 401; X-Rate-Limit-Reset only on 429', async () => {
    const answers = [
      await token('grant_type=client_credentials'),
      await token('scope=sms'),
      await token('grant_type=client_credentials&scope=nope'),
      await s.post('/smscx/oauth/token', 'grant_type=client_credentials', { authorization: basic('sms-day', 'wrong-secret') }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 400, 400, 401]);
    for (const a of answers) {
      for (const h of ['x-request-id', 'x-response-time', 'x-rate-limit-limit', 'x-rate-limit-remaining']) expect(a.headers.get(h), `${a.status} ${h}`).not.toBeNull();
      expect(a.headers.get('x-rate-limit-limit')).toMatch(/^\d+$/);
      expect(a.headers.get('x-rate-limit-remaining')).toMatch(/^\d+$/);
      expect(a.headers.get('x-rate-limit-reset')).toBeNull();
    }
  });
});

describe('cobo contract', () => {
  const ORG = 'org-1';
  let key: TestApiKey;
  let s: TestServer;
  let clock = Math.floor(Date.now() / 1000); // seconds, as the server's clock
  beforeAll(async () => {
    key = makeApiKey('ed25519');
    s = await startTestServer({
      env: { TESSERA_PROFILES: 'cobo=/v2' },
      now: () => clock,
      doc: {
        clients: [{ client_id: 'app', token_endpoint_auth_method: 'request_signature', grant_types: ['org_implicit', 'refresh_token'], scope: 'wallet:read', api_keys: [key.publicHex] }],
        organizations: [{ id: ORG, name: 'Org' }],
        installations: [{ org_id: ORG, client_id: 'app', scope: 'wallet:read' }],
      },
    });
  });
  afterAll(async () => s?.stop());

  let n = 0; // distinct nonces within the server's (frozen) second
  async function call(method: string, query: string, body?: string, headers: Record<string, string> = {}) {
    const signed = signedHeaders(key, { method, path: '/v2/oauth/token', query, body: body ?? '', nonce: String(clock * 1000 + (n++ % 1000)) });
    const res = await fetch(`${s.url}/v2/oauth/token${query ? `?${query}` : ''}`, { method, headers: { ...signed, accept: 'application/json', ...headers }, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }
  const getToken = () => call('GET', `client_id=app&org_id=${ORG}&grant_type=org_implicit`);
  const refresh = (rt: unknown, ct = 'application/json', extra: Record<string, unknown> = { client_id: 'app' }) =>
    call('POST', '', JSON.stringify({ ...extra, grant_type: 'refresh_token', refresh_token: rt }), { 'content-type': ct });

  it('accepts the refresh with a charset parameter on application/json', async () => {
    const first = await getToken();
    expect(first.status).toBe(200);
    const r = await refresh(first.body.refresh_token, 'application/json; charset=utf-8');
    expect(r.status).toBe(201);
  });

  it('accepts the refresh body without client_id (the SDK validates nothing; the signature names the app)', async () => {
    const first = await getToken();
    const r = await refresh(first.body.refresh_token, 'application/json', {});
    expect(r.status).toBe(201);
    expect(typeof r.body.expires_in).toBe('number');
  });

  it('a refresh token lives 30 days, as at Cobo, even when not used for 20 of them', async () => {
    const first = await getToken();
    clock += 20 * 86400;
    const r = await refresh(first.body.refresh_token);
    expect(r.status).toBe(201);
    // The absolute lifetime still ends the family 30 days after getToken (the app then calls getToken again).
    clock += 11 * 86400;
    const late = await refresh(r.body.refresh_token);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_grant');
    expect((await getToken()).status).toBe(200);
  });

  it('answers HEAD with 405', async () => {
    const res = await fetch(`${s.url}/v2/oauth/token`, { method: 'HEAD' });
    expect(res.status).toBe(405);
  });
});

describe('knetik contract', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({
      env: { TESSERA_PROFILES: 'knetik=/knetik' },
      doc: {
        clients: [{ client_id: 'knetik', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read write' }],
        users: [{ id: 'u-1', username: 'j doe', password: 'p@ss word+&=1' }],
      },
    });
  });
  afterAll(async () => s?.stop());

  it('reads the older Python SDK form (spaces as +) like the JS one (spaces as %20), answering the OAuth2Resource fields', async () => {
    for (const form of ['grant_type=password&client_id=knetik&username=j+doe&password=p%40ss+word%2B%26%3D1', 'grant_type=password&client_id=knetik&username=j%20doe&password=p%40ss%20word%2B%26%3D1']) {
      const r = await s.post('/knetik/oauth/token', form, { accept: 'application/json' });
      expect(r.status, form).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(Object.keys(r.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
      expect(typeof r.body.expires_in).toBe('number');
      expect(r.body.token_type).toBe('Bearer');
    }
  });
});
