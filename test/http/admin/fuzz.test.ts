import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/server.js';
import { fuzzOnce, startAdminServer, tokenOf } from './helpers.js';

/** Whatever arrives at the admin API, it answers with problem details or success, never a 5xx. */
let s: TestServer;
let token: string;

beforeAll(async () => {
  s = await startAdminServer();
  token = await tokenOf(s, 'admin');
});
afterAll(async () => s.stop());

const FIELDS = ['client_id', 'client_secret', 'client_secret_hash', 'name', 'status', 'token_endpoint_auth_method', 'grant_types', 'scope', 'default_scope', 'audience', 'access_token_ttl', 'access_token_format', 'refresh_token_ttl', 'refresh_idle_ttl', 'refresh_reuse_interval', 'introspect_any', 'rate_limit', 'jwks', 'jwks_uri', 'api_keys', '__proto__', 'constructor'];
const value = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }), fc.constantFrom('client_credentials', 'none', 'private_key_jwt', 'client_secret_jwt', 'request_signature', 'active', 'disabled', 'jwt', 'opaque'));
const record = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 });
const body = fc.oneof({ arbitrary: record.map((r) => JSON.stringify(r)), weight: 6 }, { arbitrary: fc.string(), weight: 1 }, { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)), weight: 1 });
const id = fc.oneof({ arbitrary: fc.constantFrom('admin', 'plain', 'reader', 'nobody'), weight: 3 }, { arbitrary: fc.string({ minLength: 1, maxLength: 12 }), weight: 1 });
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT'),
  path: fc.oneof(
    fc.constant('/admin/v1/clients'),
    fc.constant('/admin/v1/clients'),
    id.map((i) => `/admin/v1/clients/${encodeURIComponent(i)}`),
    id.map((i) => `/admin/v1/clients/${encodeURIComponent(i)}/secret`),
    id.map((i) => `/admin/v1/clients/${encodeURIComponent(i)}/api-keys`),
    fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 12 })).map(([l, c]) => `/admin/v1/clients?limit=${encodeURIComponent(l)}&cursor=${encodeURIComponent(c)}`),
  ),
  body,
  type: fc.oneof({ arbitrary: fc.constant('application/json'), weight: 6 }, { arbitrary: fc.constantFrom('application/merge-patch+json', 'text/plain', ''), weight: 1 }),
  ifMatch: fc.option(fc.oneof(fc.constant('*'), fc.string({ maxLength: 10 })), { nil: undefined }),
});

const tally = new Map<number, number>();
describe('admin API fuzz', () => {
  it('never answers 5xx, and every refusal is problem details', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        // The clients the tests authenticate with stay: the fuzz must not delete or disable its own credential.
        if (r.path.startsWith('/admin/v1/clients/admin') && r.method !== 'GET') return;
        await fuzzOnce(s.url, token, r, tally);
      }),
      { numRuns: 400 },
    );
    // The run reached the rules, not only the parsers.
    expect(tally.get(422) ?? 0).toBeGreaterThan(0);
    expect([...tally.keys()].some((status) => status < 300)).toBe(true);
  }, 120_000);
});
