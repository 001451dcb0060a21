import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { expectErrorCharset } from '../support/error-body.js';

/**
 * No input crashes the process or produces a 500: random bodies, content types, Authorization headers, query
 * strings and methods against the running server. Every answer is JSON holding a token or an `error`.
 */
const SECRET = 'fuzz-test-secret';
const ALLOWED_STATUS = new Set([200, 400, 401, 405, 413, 429]);
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ doc: { clients: [{ client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read write' }] } });
});
afterAll(async () => s.stop());

const printable = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'), maxLength: 80 });
const token = fc.oneof(
  fc.constantFrom('grant_type', 'scope', 'client_id', 'client_secret', 'password', 'refresh_token', 'username', 'code', 'token', '', '%', '%zz', '+', '='),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }).map((x) => encodeURIComponent(x)),
);
const value = fc.oneof(fc.constantFrom('client_credentials', 'read', 'read write', 'svc', SECRET, '%E0%A4%A', '%', ''), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }));
const formBody = fc.array(fc.tuple(token, value, fc.boolean()), { maxLength: 6 }).map((pairs) => pairs.map(([k, v, enc]) => `${k}=${enc ? encodeURIComponent(v) : v}`).join('&'));
const body = fc.oneof(formBody, fc.string({ unit: 'binary', maxLength: 300 }), fc.constant(''), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')));
const contentType = fc.oneof(
  fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'APPLICATION/X-WWW-FORM-URLENCODED', 'application/json', 'text/plain', 'multipart/form-data; boundary=b', ''),
  printable,
);
const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constant(basic('svc', SECRET)),
  fc.tuple(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 })).map(([a, b]) => basic(a, b)),
  fc.string({ unit: 'binary', maxLength: 40 }).map((x) => 'Basic ' + Buffer.from(x).toString('base64')),
  printable.map((x) => 'Basic ' + x),
  printable,
);
const query = fc.oneof(fc.constant(''), printable.map((q) => '?' + encodeURI(q)), fc.constantFrom('?client_secret=x', '?%zz', '?a=b&a=b'));
const method = fc.constantFrom('POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH');

describe('fuzzing the token endpoint', () => {
  it('every response is JSON with a token or an error, in the expected set of statuses', async () => {
    await fc.assert(
      fc.asyncProperty(method, body, contentType, authorization, query, async (m, b, ct, auth, q) => {
        const headers: Record<string, string> = {};
        if (ct !== '') headers['content-type'] = ct;
        if (auth !== undefined) headers.authorization = auth;
        const res = await fetch(`${s.url}/oauth/token${q}`, { method: m, headers, ...(m === 'GET' ? {} : { body: Buffer.from(b, 'utf8') }) });
        const text = await res.text();
        expect(ALLOWED_STATUS.has(res.status), `status ${res.status}: ${text}`).toBe(true);
        const json = JSON.parse(text) as Record<string, unknown>;
        if (res.status === 200) {
          expect(typeof json.access_token).toBe('string');
        } else {
          expect(typeof json.error).toBe('string');
          expectErrorCharset(json, text);
          expect(text).not.toMatch(/stack|\.ts:\d|\.js:\d/);
        }
      }),
      { numRuns: 300 },
    );
    expect((await fetch(s.url + '/healthz')).status).toBe(200);
  });

  it('the Basic/form parsers never make the server answer 500 for raw header bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 60 }), async (bytes) => {
        const header = 'Basic ' + Buffer.from(bytes).toString('base64');
        const res = await fetch(s.url + '/oauth/token', { method: 'POST', headers: { authorization: header, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
        expect([400, 401]).toContain(res.status);
        const json = (await res.json()) as { error: unknown };
        expect(typeof json.error).toBe('string');
        expectErrorCharset(json, header);
      }),
      { numRuns: 100 },
    );
  });
});
