import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../../support/server.js';

/** The smscx profile: Basic-authenticated client credentials only, and SMSCX's error body for its error table. */
const SECRET = 'smscx-application-secret';
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({
    env: { TESSERA_PROFILES: 'smscx=/smscx' },
    doc: {
      clients: [
        { client_id: 'sms-app', client_secret: SECRET, grant_types: ['client_credentials', 'password'], scope: 'sms groups templates reports' },
        { client_id: 'sms-limited', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'sms', rate_limit: { points: 2, duration: 60 } },
      ],
    },
  });
});
afterAll(async () => s?.stop());

const token = (form: string, headers: Record<string, string> = { authorization: basic('sms-app', SECRET) }) => s.post('/smscx/oauth/token', form, headers);

function expectSmscxError(r: { status: number; body: Record<string, unknown> }, status: number, type: string) {
  expect(r.status).toBe(status);
  expect(Object.keys(r.body)).toEqual(['error']);
  const e = r.body.error as Record<string, unknown>;
  expect(e.type).toBe(type);
  expect(e.code).toBe(1600);
  expect(typeof e.message).toBe('string');
}

describe('smscx profile', () => {
  it('issues a token with all the application scopes when none is asked for, with SMSCX headers', async () => {
    const r = await token('grant_type=client_credentials');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', scope: 'sms groups templates reports' });
    expect(Number.isInteger(r.body.expires_in)).toBe(true);
    expect(typeof r.body.access_token).toBe('string');
    for (const h of ['x-request-id', 'x-response-time', 'x-rate-limit-limit', 'x-rate-limit-remaining']) expect(r.headers.get(h), h).not.toBeNull();
  });

  it('narrows to the requested space-delimited scope', async () => {
    const r = await token(`grant_type=client_credentials&scope=${encodeURIComponent('sms reports')}`);
    expect(r.body.scope).toBe('sms reports');
  });

  it('maps the errors of the SMSCX table', async () => {
    expectSmscxError(await token('scope=sms'), 400, 'invalid_request');
    expectSmscxError(await token('grant_type=client_credentials&scope=billing'), 400, 'invalid_scope');
    expectSmscxError(await token('grant_type=client_credentials&scope=sms%20%20groups'), 400, 'invalid_scope');
    expectSmscxError(await token('grant_type=password&username=a&password=b'), 400, 'unsupported_grant_type');
    expectSmscxError(await token('grant_type=refresh_token&refresh_token=abc'), 400, 'unsupported_grant_type');
    const wrong = await token('grant_type=client_credentials', { authorization: basic('sms-app', 'wrong-secret-123') });
    expectSmscxError(wrong, 401, 'invalid_client');
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
    expectSmscxError(await token('grant_type=client_credentials', { authorization: basic('nobody', SECRET) }), 401, 'invalid_client');
  });

  it('accepts HTTP Basic only', async () => {
    expectSmscxError(await token(`grant_type=client_credentials&client_id=sms-app&client_secret=${SECRET}`, {}), 401, 'invalid_client');
    expectSmscxError(await token('grant_type=client_credentials', { authorization: 'Bearer abc' }), 401, 'invalid_client');
  });

  it('answers a malformed Basic header with 401 invalid_client (code 1600) and the Basic challenge', async () => {
    for (const h of ['Basic', 'Basic !!!', 'Basic ' + Buffer.from('sms-app').toString('base64'), 'Basic ' + Buffer.from('sms-app:50%off').toString('base64')]) {
      const r = await token('grant_type=client_credentials', { authorization: h });
      expectSmscxError(r, 401, 'invalid_client');
      expect(r.headers.get('www-authenticate'), h).toBe('Basic realm="tessera", charset="UTF-8"');
    }
  });

  it('answers other methods with 405', async () => {
    const res = await fetch(`${s.url}/smscx/oauth/token`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('method_not_allowed');
  });

  it('answers 429 with type rate_limit and X-Rate-Limit-Reset as a Unix timestamp', async () => {
    const auth = { authorization: basic('sms-limited', SECRET) };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await token('grant_type=client_credentials', auth));
    expect(answers.slice(0, 2).map((a) => a.status)).toEqual([200, 200]);
    const limited = answers[2]!;
    expect(limited.status).toBe(429);
    expect((limited.body.error as Record<string, unknown>).type).toBe('rate_limit');
    const reset = Number(limited.headers.get('x-rate-limit-reset'));
    const nowSeconds = Date.now() / 1000;
    expect(Number.isInteger(reset)).toBe(true);
    expect(reset).toBeGreaterThan(nowSeconds - 1);
    expect(reset).toBeLessThanOrEqual(nowSeconds + 61);
    expect(limited.headers.get('x-rate-limit-remaining')).toBe('0');
    expect(limited.headers.get('retry-after')).not.toBeNull();
  });

  it('leaves the RFC endpoint as it is', async () => {
    const r = await s.post('/oauth/token', 'scope=sms', { authorization: basic('sms-app', SECRET) });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_request' });
    const standard = await s.post('/oauth/token', 'grant_type=client_credentials', { authorization: basic('sms-app', SECRET) });
    expect(standard.status).toBe(200);
  });
});
