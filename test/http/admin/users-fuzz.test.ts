import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.js';
import { ADMIN_CLIENTS, fuzzOnce, tokenOf } from './helpers.js';

/** The users and families routes, like fuzz.test.ts for clients: never a 5xx, every refusal problem details. */
let s: TestServer;
let token: string;

beforeAll(async () => {
  s = await startTestServer({ doc: { clients: ADMIN_CLIENTS, users: [{ id: 'u-1', username: 'one', password: 'correct horse battery' }] } });
  token = await tokenOf(s, 'admin');
});
afterAll(async () => s.stop());

const FIELDS = ['id', 'username', 'password', 'password_hash', 'status', 'scope', 'email', 'email_verified', 'keep_sessions', '__proto__', 'constructor'];
const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 3 }), fc.constantFrom('active', 'disabled', 'a@b.c', 'long enough password', '$argon2id$x'));
const record = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 5 });
const body = fc.oneof({ arbitrary: record.map((r) => JSON.stringify(r)), weight: 6 }, { arbitrary: fc.string(), weight: 1 }, { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)), weight: 1 });
const id = fc.oneof({ arbitrary: fc.constantFrom('u-1', 'one', 'nobody'), weight: 3 }, { arbitrary: fc.string({ minLength: 1, maxLength: 12 }), weight: 1 });
const q = fc.string({ maxLength: 8 }).map(encodeURIComponent);
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT'),
  path: fc.oneof(
    fc.constant('/admin/v1/users'),
    id.map((i) => `/admin/v1/users/${encodeURIComponent(i)}`),
    id.map((i) => `/admin/v1/users/${encodeURIComponent(i)}/password`),
    id.map((i) => `/admin/v1/users/${encodeURIComponent(i)}/revoke-sessions`),
    id.map((i) => `/admin/v1/users/${encodeURIComponent(i)}/families`),
    id.map((i) => `/admin/v1/families/${encodeURIComponent(i)}`),
    fc.tuple(q, q, q, q, q).map(([l, c, u, e, st]) => `/admin/v1/users?limit=${l}&cursor=${c}&username=${u}&email=${e}&status=${st}`),
  ),
  body,
  type: fc.oneof({ arbitrary: fc.constant('application/json'), weight: 6 }, { arbitrary: fc.constantFrom('application/merge-patch+json', 'text/plain', ''), weight: 1 }),
  ifMatch: fc.option(fc.oneof(fc.constant('*'), fc.string({ maxLength: 10 })), { nil: undefined }),
});

const tally = new Map<number, number>();
describe('admin API fuzz (users, families)', () => {
  it('never answers 5xx, and every refusal is problem details', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        await fuzzOnce(s.url, token, r, tally);
      }),
      { numRuns: 300 },
    );
    expect(tally.get(422) ?? 0).toBeGreaterThan(0);
    expect([...tally.keys()].some((status) => status < 300)).toBe(true);
  }, 120_000);
});
