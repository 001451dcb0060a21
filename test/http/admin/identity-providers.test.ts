import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.js';
import { ADMIN_CLIENTS, call, errorPaths, expectProblem, tokenOf } from './helpers.js';

/** The identity-providers resource over real sockets, thin over admin/identity-providers.ts; secrets write-only. */
const INTROSPECTION_SECRET = 'idp-introspection-secret-42';
const corp = { name: 'corp', type: 'oidc', issuer: 'https://corp.example.com', jwks_uri: 'https://corp.example.com/jwks', audiences: ['tessera'] };
const partner = { name: 'partner', type: 'introspection', endpoint: 'https://partner.example/introspect', client_id: 'tessera', client_secret: INTROSPECTION_SECRET };

let s: TestServer;
let token: string;
let readToken: string;
const api = (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; token?: string } = {}) => call(s.url, method, `/admin/v1${path}`, { token, ...opts });

beforeAll(async () => {
  s = await startTestServer({ doc: { clients: ADMIN_CLIENTS } });
  token = await tokenOf(s, 'admin');
  readToken = await tokenOf(s, 'reader');
});
afterAll(async () => s.stop());

const stored = async (name: string) => JSON.stringify(await s.ctx.store.identityProviders.get(name));

describe('/admin/v1/identity-providers', () => {
  it('creates (201, Location, ETag), reads, lists; 409 for a taken name; the provider is usable at once', async () => {
    const r = await api('POST', '/identity-providers', { body: corp });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe('/admin/v1/identity-providers/corp');
    expect(r.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(r.body).toMatchObject(corp);
    expect(typeof r.body.updated_at).toBe('string');
    const got = await api('GET', '/identity-providers/corp');
    expect(got.status).toBe(200);
    expect(got.body).toEqual(r.body);
    expect(got.headers.get('etag')).toBe(r.headers.get('etag'));
    const taken = await api('POST', '/identity-providers', { body: { ...corp, issuer: 'https://other.example.com' } });
    expectProblem(taken, 409);
    expect((await api('GET', '/identity-providers/corp')).body.issuer).toBe(corp.issuer);
    // A client may name the provider as a grant type once it exists (the same reference rule as the import).
    const c = await api('POST', '/clients', { body: { client_id: 'corp-app', grant_types: ['corp'], scope: 'read' } });
    expect(c.status).toBe(201);
  });

  it('secrets are write-only: stored sealed, shown as "(sealed)", never in clear in an answer or the database', async () => {
    const r = await api('POST', '/identity-providers', { body: partner });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'partner', client_id: 'tessera', client_secret: '(sealed)' });
    expect(r.text).not.toContain(INTROSPECTION_SECRET);
    const got = await api('GET', '/identity-providers/partner');
    expect(got.body.client_secret).toBe('(sealed)');
    expect(got.text).not.toContain(INTROSPECTION_SECRET);
    expect((await api('GET', '/identity-providers')).text).not.toContain(INTROSPECTION_SECRET);
    const before = await stored('partner');
    expect(before).toContain('client_secret_sealed');
    expect(before).not.toContain(INTROSPECTION_SECRET);

    // A patch without the secret keeps the sealed one; sending the placeholder back is refused, not stored.
    const p = await api('PATCH', '/identity-providers/partner', { body: { accepted_client_ids: ['a'] } });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ client_secret: '(sealed)', accepted_client_ids: ['a'] });
    expect(await stored('partner')).toContain(JSON.parse(before).config.client_secret_sealed as string);
    const placeholder = await api('PATCH', '/identity-providers/partner', { body: { client_secret: '(sealed)' } });
    expectProblem(placeholder, 422);
    expect(errorPaths(placeholder)).toEqual(['client_secret']);
    // A new secret replaces the sealed one, sealed in turn.
    const rotated = await api('PATCH', '/identity-providers/partner', { body: { client_secret: 'another-secret-77' } });
    expect(rotated.status).toBe(200);
    expect(rotated.text).not.toContain('another-secret-77');
    const after = await stored('partner');
    expect(after).not.toContain('another-secret-77');
    expect(JSON.parse(after).config.client_secret_sealed).not.toBe(JSON.parse(before).config.client_secret_sealed);
    // Removing a required secret is refused with federation's message.
    const removed = await api('PATCH', '/identity-providers/partner', { body: { client_secret: null } });
    expectProblem(removed, 422);
    expect(removed.body.errors).toEqual([{ path: 'client_secret', message: 'required for an RFC 7662 introspection provider' }]);
  });

  it('422 with field-level errors (the same rules and messages as `idp add` and the import); 400 for a body that is not a JSON object', async () => {
    const bad = await api('POST', '/identity-providers', { body: { name: 'bad', type: 'oidc', issuer: 'http://corp.example.com', jwks_uri: 'https://x.example/jwks', colour: 'red' } });
    expectProblem(bad, 422);
    expect(errorPaths(bad)).toEqual(['audiences', 'colour', 'issuer']);
    expect(bad.body.errors).toContainEqual({ path: 'issuer', message: 'must be an https URL (http only for loopback hosts or with allow_insecure_http)' });
    const noType = await api('POST', '/identity-providers', { body: { name: 'x' } });
    expect(noType.body.errors).toEqual([{ path: 'type', message: 'must be one of oidc, introspection, jwt_bearer' }]);
    const both = await api('POST', '/identity-providers', { body: { ...corp, name: 'both', jwks: { keys: [{ kty: 'EC' }] } } });
    expect(both.body.errors).toEqual([{ path: '', message: 'give exactly one of jwks_uri or jwks' }]);
    expectProblem(await api('POST', '/identity-providers', { body: { ...partner, name: 'p2', client_secret: '(sealed)' } }), 422);
    expectProblem(await api('POST', '/identity-providers', { body: { ...corp, name: 'u', updated_at: 'x' } }), 422);
    expectProblem(await api('POST', '/identity-providers', { body: '[]' }), 400);
    expectProblem(await api('POST', '/identity-providers', { body: 'not json' }), 400);
    expectProblem(await api('GET', '/identity-providers/bad'), 404);
  });

  it('PATCH merges honouring If-Match (412 on a stale tag); refuses name and type; 404; DELETE with If-Match, 204 then 404', async () => {
    await api('POST', '/identity-providers', { body: { ...corp, name: 'globex' } });
    const etag = (await api('GET', '/identity-providers/globex')).headers.get('etag')!;
    const p = await api('PATCH', '/identity-providers/globex', { body: { audiences: ['a', 'b'], auto_provision: true }, headers: { 'if-match': etag, 'content-type': 'application/merge-patch+json' } });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ name: 'globex', audiences: ['a', 'b'], auto_provision: true, issuer: corp.issuer });
    expect(p.headers.get('etag')).not.toBe(etag);
    expectProblem(await api('PATCH', '/identity-providers/globex', { body: { auto_provision: false }, headers: { 'if-match': etag } }), 412);
    const unset = await api('PATCH', '/identity-providers/globex', { body: { auto_provision: null } });
    expect(unset.status).toBe(200);
    expect(unset.body).not.toHaveProperty('auto_provision');
    const refused = await api('PATCH', '/identity-providers/globex', { body: { name: 'x', type: 'jwt_bearer' } });
    expectProblem(refused, 422);
    expect(errorPaths(refused)).toEqual(['name', 'type']);
    const invalid = await api('PATCH', '/identity-providers/globex', { body: { jwks_uri: 'ftp://x', __proto__: 1 } as unknown as Record<string, unknown> });
    expectProblem(invalid, 422);
    expectProblem(await api('PATCH', '/identity-providers/nobody', { body: { auto_provision: true } }), 404);
    expectProblem(await api('PATCH', '/identity-providers/globex', { body: '"x"' }), 400);

    const tag = (await api('GET', '/identity-providers/globex')).headers.get('etag')!;
    expectProblem(await api('DELETE', '/identity-providers/globex', { headers: { 'if-match': etag } }), 412);
    const d = await api('DELETE', '/identity-providers/globex', { headers: { 'if-match': tag } });
    expect(d.status).toBe(204);
    expectProblem(await api('GET', '/identity-providers/globex'), 404);
    expectProblem(await api('DELETE', '/identity-providers/globex'), 404);
    // Gone for new references too.
    expectProblem(await api('POST', '/clients', { body: { client_id: 'globex-app', grant_types: ['globex'], scope: 'read' } }), 422);
  });

  it('a read-only token reads but may not write (403); no token 401', async () => {
    expect((await api('GET', '/identity-providers/corp', { token: readToken })).status).toBe(200);
    expect((await api('GET', '/identity-providers', { token: readToken })).status).toBe(200);
    expectProblem(await api('POST', '/identity-providers', { token: readToken, body: { ...corp, name: 'r' } }), 403);
    expectProblem(await api('PATCH', '/identity-providers/corp', { token: readToken, body: { auto_provision: true } }), 403);
    expectProblem(await api('DELETE', '/identity-providers/corp', { token: readToken }), 403);
    expectProblem(await api('GET', '/identity-providers', { token: '' }), 401);
  });

  it('pages by name with next cursors and Link headers', async () => {
    for (let i = 0; i < 5; i++) expect((await api('POST', '/identity-providers', { body: { ...corp, name: `p-${i}` } })).status).toBe(201);
    const seen: string[] = [];
    let path: string | null = '/identity-providers?limit=2';
    while (path !== null) {
      const r = await api('GET', path);
      expect(r.status).toBe(200);
      seen.push(...(r.body.items as Array<{ name: string }>).map((p) => p.name));
      path = r.body.next === null ? null : /^<\/admin\/v1([^>]+)>/.exec(r.headers.get('link')!)![1]!;
    }
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((n) => n.startsWith('p-'))).toEqual(['p-0', 'p-1', 'p-2', 'p-3', 'p-4']);
    expect(seen).toContain('corp');
    expectProblem(await api('GET', '/identity-providers?limit=0'), 400);
    expectProblem(await api('GET', '/identity-providers?cursor=!!'), 400);
  });

  it('/openapi.json lists the routes under tag admin, bearer-secured', async () => {
    const d = (await (await fetch(`${s.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { tags?: string[]; security?: unknown }>> };
    const list = d.paths['/admin/v1/identity-providers']!;
    expect(list.get!.tags).toEqual(['admin']);
    expect(list.post!.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(d.paths['/admin/v1/identity-providers/{name}']!).sort()).toEqual(['delete', 'get', 'patch']);
  });

  it('fuzz: random methods, names, bodies and If-Match never get a 5xx; refusals are problem details', async () => {
    const FIELDS = ['name', 'type', 'issuer', 'jwks_uri', 'jwks', 'endpoint', 'client_id', 'client_secret', 'client_secret_sealed', 'format', 'app_token', 'audiences', 'auto_provision', '__proto__'];
    const value = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.constantFrom('oidc', 'introspection', 'jwt_bearer', 'https://x.example', '(sealed)', 'corp'));
    const body = fc.oneof({ arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 5 }).map((r) => JSON.stringify(r)), weight: 6 }, { arbitrary: fc.string(), weight: 1 });
    const name = fc.oneof({ arbitrary: fc.constantFrom('corp', 'partner', 'nobody'), weight: 3 }, { arbitrary: fc.string({ minLength: 1, maxLength: 8 }), weight: 1 });
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE'),
      path: fc.oneof(fc.constant('/admin/v1/identity-providers'), name.map((n) => `/admin/v1/identity-providers/${encodeURIComponent(n)}`)),
      body,
      ifMatch: fc.option(fc.oneof(fc.constant('*'), fc.string({ maxLength: 8 })), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        // DELETE of the named fixtures would empty the run; keep them by sending a tag that never matches.
        const headers: Record<string, string> = { 'content-type': 'application/json', ...(r.ifMatch !== undefined ? { 'if-match': r.ifMatch } : {}), ...(r.method === 'DELETE' ? { 'if-match': '"never"' } : {}) };
        const a = await call(s.url, r.method, r.path, { token, headers, ...(r.method === 'POST' || r.method === 'PATCH' ? { body: r.body } : {}) });
        expect(a.status, `${r.method} ${r.path} ${r.body} -> ${a.text}`).toBeLessThan(500);
        if (a.status >= 400) expect(a.headers.get('content-type'), `${r.method} ${r.path} -> ${a.status}`).toMatch(/^application\/problem\+json/);
        expect(a.text).not.toContain(INTROSPECTION_SECRET);
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
