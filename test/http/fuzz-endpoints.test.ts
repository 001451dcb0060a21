import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { expectErrorCharset } from '../support/error-body.js';

/**
 * "Never a 500" beyond the token endpoint's client_credentials path: every grant, revocation, introspection and
 * the compatibility profiles get random parameters. Each answer is JSON (or the empty 200 of RFC 7009), with a
 * status from the expected set, and the process keeps serving.
 */
const SECRET = 'fuzz-endpoints-secret';
const ALLOWED = new Set([200, 201, 400, 401, 405, 413, 429]);
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({
    env: { TESSERA_PROFILES: 'cobo=/v2,smscx=/smscx,knetik=/knetik' },
    doc: {
      clients: [
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials', 'password', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'org_implicit'], scope: 'read write' },
        { client_id: 'pub', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read' },
      ],
      users: [{ username: 'ada', password: 'correct horse battery' }],
    },
  });
});
afterAll(async () => s.stop());

const text = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), fc.constantFrom('', '%', '%zz', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.', 'x'.repeat(300)));
const grant = fc.constantFrom('password', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'org_implicit', 'facebook', 'google', 'client_credentials');
const param = fc.constantFrom('username', 'password', 'refresh_token', 'subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'resource', 'assertion', 'org_id', 'scope', 'token', 'actor_token', 'client_assertion', 'client_assertion_type');
const params = fc.dictionary(param, text, { maxKeys: 5 });
const auth = fc.constantFrom<Record<string, string>>({ authorization: basic('svc', SECRET) }, {}, { 'x-client': 'pub' });

async function send(path: string, init: RequestInit): Promise<void> {
  const res = await fetch(s.url + path, init);
  const body = await res.text();
  expect(ALLOWED.has(res.status), `${path} -> ${res.status}: ${body}`).toBe(true);
  // Every answer is a JSON object, RFC 7009's 200 included ({}).
  expect(res.headers.get('content-type'), `${path} -> ${res.status}: ${body}`).toMatch(/^application\/json/);
  const json = JSON.parse(body) as Record<string, unknown>;
  expect(json).toBeTypeOf('object');
  expectErrorCharset(json, `${path} -> ${res.status}: ${body}`);
  expect(body).not.toMatch(/stack|\.ts:\d|\.js:\d/);
}

function form(values: Record<string, string>, who: Record<string, string>): RequestInit {
  const fields = { ...values, ...(who['x-client'] ? { client_id: who['x-client'] } : {}) };
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(who.authorization ? { authorization: who.authorization } : {}) }, body: new URLSearchParams(fields).toString() };
}

describe('fuzzing every endpoint', () => {
  it('grants on /oauth/token', async () => {
    await fc.assert(fc.asyncProperty(grant, params, auth, async (g, p, who) => send('/oauth/token', form({ ...p, grant_type: g }, who))), { numRuns: 150 });
  });

  it('revocation and introspection', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/oauth/revoke', '/oauth/introspect'), text, fc.option(fc.constantFrom('access_token', 'refresh_token', 'bogus', '')), auth, async (path, token, hint, who) =>
        send(path, form({ token, ...(hint !== null ? { token_type_hint: hint } : {}) }, who)),
      ),
      { numRuns: 150 },
    );
  });

  it('the compatibility profiles (Cobo GET/JSON with random signature headers, SMSCX, Knetik)', async () => {
    const header = fc.option(fc.oneof(text, fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 60, maxLength: 140 }), fc.constantFrom('1700000000000', String(Date.now()))));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('cobo-get', 'cobo-json', 'smscx', 'knetik'), params, header, header, header, text, async (kind, p, key, nonce, sig, raw) => {
        const biz: Record<string, string> = {};
        // Header values must be ISO-8859-1 for fetch; keep the random ones printable.
        const clean = (v: string) => v.replace(/[^\x20-\x7e]/g, '');
        if (key !== null) biz['biz-api-key'] = clean(key);
        if (nonce !== null) biz['biz-api-nonce'] = clean(nonce);
        if (sig !== null) biz['biz-api-signature'] = clean(sig);
        if (kind === 'cobo-get') return send(`/v2/oauth/token?${new URLSearchParams({ ...p, grant_type: 'org_implicit' }).toString()}`, { method: 'GET', headers: biz });
        if (kind === 'cobo-json') return send('/v2/oauth/token', { method: 'POST', headers: { 'content-type': 'application/json', ...biz }, body: raw.length % 2 === 0 ? JSON.stringify({ ...p, grant_type: 'refresh_token' }) : raw });
        if (kind === 'smscx') return send('/smscx/oauth/token', form({ ...p, grant_type: 'client_credentials' }, { authorization: basic('svc', raw) }));
        return send('/knetik/oauth/token', form({ ...p, grant_type: 'password', client_id: 'pub' }, {}));
      }),
      { numRuns: 200 },
    );
    expect((await fetch(s.url + '/healthz')).status).toBe(200);
  });
});
