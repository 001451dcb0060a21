import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../../support/server.js';
import { ADMIN_CLIENTS, call, errorPaths, eventually, expectProblem, tokenOf } from './helpers.js';

/** The organizations and installations resources over real sockets, thin over admin/organizations.ts. */
const APP_SECRET = 'org-app-secret-1234';
const app = (client_id: string, extra: Record<string, unknown> = {}) => ({ client_id, client_secret: APP_SECRET, grant_types: ['org_implicit', 'refresh_token'], scope: 'wallet:read wallet:write', ...extra });

let s: TestServer;
let token: string;
let readToken: string;
const api = (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; token?: string } = {}) => call(s.url, method, `/admin/v1${path}`, { token, ...opts });

beforeAll(async () => {
  s = await startTestServer({ doc: { clients: [...ADMIN_CLIENTS, app('app'), app('app2'), app('app-cc', { grant_types: ['client_credentials'] })] } });
  token = await tokenOf(s, 'admin');
  readToken = await tokenOf(s, 'reader');
});
afterAll(async () => s.stop());


describe('/admin/v1/organizations', () => {
  it('creates (201, Location, ETag), reads, lists; 409 for a taken id; an id is generated when absent', async () => {
    const r = await api('POST', '/organizations', { body: { id: 'acme', name: 'Acme' } });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe('/admin/v1/organizations/acme');
    expect(r.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(r.body).toMatchObject({ id: 'acme', name: 'Acme', status: 'active' });
    expect(typeof r.body.created_at).toBe('string');
    const got = await api('GET', '/organizations/acme');
    expect(got.status).toBe(200);
    expect(got.body).toEqual(r.body);
    expect(got.headers.get('etag')).toBe(r.headers.get('etag'));
    expectProblem(await api('POST', '/organizations', { body: { id: 'acme', name: 'Again' } }), 409);
    const gen = await api('POST', '/organizations', { body: { name: 'Generated' } });
    expect(gen.status).toBe(201);
    expect(gen.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const list = await api('GET', '/organizations');
    expect((list.body.items as Array<{ id: string }>).map((o) => o.id)).toEqual(['acme', gen.body.id].sort());
    expect(list.body.next).toBeNull();
  });

  it('422 with field-level errors (the import document\'s messages); 400 for a body that is not a JSON object', async () => {
    const bad = await api('POST', '/organizations', { body: { id: ' ', colour: 'red' } });
    expectProblem(bad, 422);
    expect(errorPaths(bad)).toEqual(['colour', 'id', 'name']);
    const empty = await api('POST', '/organizations', { body: { id: 'e', name: '  ' } });
    expectProblem(empty, 422);
    expect(empty.body.errors).toEqual([{ path: 'name', message: 'must not be empty' }]);
    expectProblem(await api('POST', '/organizations', { body: { id: 'st', name: 'S', status: 'disabled' } }), 422);
    expectProblem(await api('POST', '/organizations', { body: '[]' }), 400);
    expectProblem(await api('GET', '/organizations/st'), 404);
  });

  it('PATCH renames and disables honouring If-Match (412 on a stale tag); 404, 422', async () => {
    await api('POST', '/organizations', { body: { id: 'globex', name: 'Globex' } });
    const etag = (await api('GET', '/organizations/globex')).headers.get('etag')!;
    const p = await api('PATCH', '/organizations/globex', { body: { name: 'Globex Corp', status: 'disabled' }, headers: { 'if-match': etag } });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ id: 'globex', name: 'Globex Corp', status: 'disabled' });
    expect(p.headers.get('etag')).not.toBe(etag);
    expectProblem(await api('PATCH', '/organizations/globex', { body: { status: 'active' }, headers: { 'if-match': etag } }), 412);
    expect((await api('GET', '/organizations/globex')).body.status).toBe('disabled');
    const bad = await api('PATCH', '/organizations/globex', { body: { id: 'x', status: 'gone', name: '' } });
    expectProblem(bad, 422);
    expect(errorPaths(bad)).toEqual(['id']);
    const bad2 = await api('PATCH', '/organizations/globex', { body: { status: 'gone', name: '' } });
    expectProblem(bad2, 422);
    expect(errorPaths(bad2)).toEqual(['name', 'status']);
    expectProblem(await api('PATCH', '/organizations/nobody', { body: { status: 'active' } }), 404);
    expect((await api('PATCH', '/organizations/globex', { body: { status: 'active' } })).body.status).toBe('active');
  });

  it('a read-only token reads but may not write (403)', async () => {
    expect((await api('GET', '/organizations/acme', { token: readToken })).status).toBe(200);
    expectProblem(await api('POST', '/organizations', { token: readToken, body: { id: 'r', name: 'R' } }), 403);
    expectProblem(await api('PATCH', '/organizations/acme', { token: readToken, body: { name: 'R' } }), 403);
    expectProblem(await api('POST', '/organizations/acme/installations', { token: readToken, body: { client_id: 'app', scope: 'wallet:read' } }), 403);
    expect((await api('GET', '/organizations/acme', { token: '' })).status).toBe(401);
  });

  it('pages by id with next cursors and Link headers', async () => {
    for (let i = 0; i < 5; i++) await api('POST', '/organizations', { body: { id: `p-${i}`, name: `P${i}` } });
    const seen: string[] = [];
    let path: string | null = '/organizations?limit=3';
    while (path !== null) {
      const r = await api('GET', path);
      expect(r.status).toBe(200);
      seen.push(...(r.body.items as Array<{ id: string }>).map((o) => o.id));
      const link = r.headers.get('link');
      path = r.body.next === null ? null : /^<\/admin\/v1([^>]+)>/.exec(link!)![1]!;
    }
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => id.startsWith('p-'))).toEqual(['p-0', 'p-1', 'p-2', 'p-3', 'p-4']);
    expectProblem(await api('GET', '/organizations?limit=0'), 400);
    expectProblem(await api('GET', '/organizations?cursor=!!'), 400);
  });
});

describe('/admin/v1/organizations/{id}/installations', () => {
  it('installs (201, warnings for a client without org_implicit), reads, lists, pages; 404/409/422', async () => {
    await api('POST', '/organizations', { body: { id: 'hooli', name: 'Hooli' } });
    const r = await api('POST', '/organizations/hooli/installations', { body: { client_id: 'app', scope: 'wallet:read' } });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe('/admin/v1/organizations/hooli/installations/app');
    expect(r.body).toMatchObject({ org_id: 'hooli', client_id: 'app', scope: 'wallet:read', status: 'active' });
    expect(r.body).not.toHaveProperty('warnings');
    const got = await api('GET', '/organizations/hooli/installations/app');
    expect(got.status).toBe(200);
    expect(got.body).toEqual(r.body);
    expect(got.headers.get('etag')).toBe(r.headers.get('etag'));

    const cc = await api('POST', '/organizations/hooli/installations', { body: { client_id: 'app-cc', scope: '' } });
    expect(cc.status).toBe(201);
    expect(cc.body.warnings).toEqual(['client app-cc does not have the org_implicit grant type; it cannot fetch org tokens until it does']);
    await api('POST', '/organizations/hooli/installations', { body: { client_id: 'app2', scope: 'wallet:write', id: 'inst-app2' } });
    expect((await api('GET', '/organizations/hooli/installations/app2')).body.id).toBe('inst-app2');

    const page1 = await api('GET', '/organizations/hooli/installations?limit=2');
    expect((page1.body.items as Array<{ client_id: string }>).map((i) => i.client_id)).toEqual(['app', 'app-cc']);
    expect(page1.headers.get('link')).toBe(`</admin/v1/organizations/hooli/installations?limit=2&cursor=${page1.body.next as string}>; rel="next"`);
    const page2 = await api('GET', `/organizations/hooli/installations?limit=2&cursor=${page1.body.next as string}`);
    expect((page2.body.items as Array<{ client_id: string }>).map((i) => i.client_id)).toEqual(['app2']);
    expect(page2.body.next).toBeNull();

    expectProblem(await api('POST', '/organizations/hooli/installations', { body: { client_id: 'app', scope: 'wallet:read' } }), 409);
    expectProblem(await api('POST', '/organizations/nobody/installations', { body: { client_id: 'app', scope: 'wallet:read' } }), 404);
    expectProblem(await api('POST', '/organizations/hooli/installations', { body: { client_id: 'nobody', scope: 'wallet:read' } }), 404);
    expectProblem(await api('GET', '/organizations/nobody/installations'), 404);
    expectProblem(await api('GET', '/organizations/hooli/installations/nobody'), 404);
    const beyond = await api('POST', '/organizations/acme/installations', { body: { client_id: 'app', scope: 'wallet:admin' } });
    expectProblem(beyond, 422);
    expect(beyond.body.errors).toEqual([{ path: 'scope', message: 'client app may not be granted wallet:admin (its scope is "wallet:read wallet:write")' }]);
    const bad = await api('POST', '/organizations/acme/installations', { body: { org_id: 'hooli', status: 'revoked', colour: 1 } });
    expectProblem(bad, 422);
    expect(errorPaths(bad)).toEqual(['org_id', 'status']);
    const bad2 = await api('POST', '/organizations/acme/installations', { body: { colour: 1 } });
    expect(errorPaths(bad2)).toEqual(['client_id', 'colour', 'scope']);
  });

  it('PATCH changes the approved scopes honouring If-Match; refuses what it cannot change', async () => {
    await api('POST', '/organizations', { body: { id: 'initech', name: 'Initech' } });
    await api('POST', '/organizations/initech/installations', { body: { client_id: 'app', scope: 'wallet:read wallet:write' } });
    const etag = (await api('GET', '/organizations/initech/installations/app')).headers.get('etag')!;
    const p = await api('PATCH', '/organizations/initech/installations/app', { body: { scope: 'wallet:read' }, headers: { 'if-match': etag } });
    expect(p.status).toBe(200);
    expect(p.body.scope).toBe('wallet:read');
    expectProblem(await api('PATCH', '/organizations/initech/installations/app', { body: { scope: 'wallet:write' }, headers: { 'if-match': etag } }), 412);
    expectProblem(await api('POST', '/organizations/initech/installations/app/revoke', { headers: { 'if-match': etag } }), 412);
    const beyond = await api('PATCH', '/organizations/initech/installations/app', { body: { scope: 'wallet:admin' } });
    expectProblem(beyond, 422);
    expect(errorPaths(beyond)).toEqual(['scope']);
    const refused = await api('PATCH', '/organizations/initech/installations/app', { body: { status: 'revoked', client_id: 'x' } });
    expect(errorPaths(refused)).toEqual(['client_id', 'status']);
    const empty = await api('PATCH', '/organizations/initech/installations/app', { body: {} });
    expectProblem(empty, 422);
    expect(empty.body.errors).toEqual([{ path: '', message: 'must change scope or metadata (or both)' }]);
    expectProblem(await api('PATCH', '/organizations/initech/installations/nobody', { body: { scope: 'wallet:read' } }), 404);
    expect((await api('GET', '/organizations/initech/installations/app')).body.scope).toBe('wallet:read');
  });

  it('revoking ends the installation\'s refresh tokens at once and stops org tokens; installing again re-activates it', async () => {
    await api('POST', '/organizations', { body: { id: 'umbrella', name: 'Umbrella' } });
    await api('POST', '/organizations/umbrella/installations', { body: { client_id: 'app', scope: 'wallet:read' } });
    const auth = { authorization: basic('app', APP_SECRET) };
    const issued = await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'umbrella' }, auth);
    expect(issued.status).toBe(200);
    const refreshToken = issued.body.refresh_token as string;
    expect(typeof refreshToken).toBe('string');

    const r = await api('POST', '/organizations/umbrella/installations/app/revoke');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ client_id: 'app', org_id: 'umbrella', status: 'revoked' });
    expect(typeof r.body.revoked_at).toBe('string');
    expect((await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, auth)).status).toBe(400);
    await eventually(async () => (await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'umbrella' }, auth)).status !== 200);
    expectProblem(await api('POST', '/organizations/umbrella/installations/app/revoke'), 409);
    expectProblem(await api('POST', '/organizations/umbrella/installations/nobody/revoke'), 404);
    expectProblem(await api('POST', '/organizations/umbrella/installations/app/revoke', { token: readToken }), 403);

    const again = await api('POST', '/organizations/umbrella/installations', { body: { client_id: 'app', scope: 'wallet:write' } });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: r.body.id, status: 'active', scope: 'wallet:write' });
    await eventually(async () => (await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'umbrella' }, auth)).status === 200);
  });

  it('a disabled organization gets no org token', async () => {
    await api('POST', '/organizations', { body: { id: 'wayne', name: 'Wayne' } });
    await api('POST', '/organizations/wayne/installations', { body: { client_id: 'app', scope: 'wallet:read' } });
    const auth = { authorization: basic('app', APP_SECRET) };
    expect((await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'wayne' }, auth)).status).toBe(200);
    expect((await api('PATCH', '/organizations/wayne', { body: { status: 'disabled' } })).status).toBe(200);
    await eventually(async () => (await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'wayne' }, auth)).status !== 200);
  });
});

describe('deleting organizations and installations', () => {
  it('DELETE an installation: 204 honouring If-Match, its refresh tokens stop at once, org tokens stop; 404 after', async () => {
    await api('POST', '/organizations', { body: { id: 'initech', name: 'Initech' } });
    await api('POST', '/organizations/initech/installations', { body: { client_id: 'app', scope: 'wallet:read' } });
    const auth = { authorization: basic('app', APP_SECRET) };
    const issued = await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'initech' }, auth);
    expect(issued.status).toBe(200);
    expectProblem(await api('DELETE', '/organizations/initech/installations/app', { token: readToken }), 403);
    expectProblem(await api('DELETE', '/organizations/initech/installations/app', { headers: { 'if-match': '"stale"' } }), 412);
    const etag = (await api('GET', '/organizations/initech/installations/app')).headers.get('etag')!;
    const r = await api('DELETE', '/organizations/initech/installations/app', { headers: { 'if-match': etag } });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect((await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token as string }, auth)).status).toBe(400);
    await eventually(async () => (await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'initech' }, auth)).status !== 200);
    expectProblem(await api('GET', '/organizations/initech/installations/app'), 404);
    expectProblem(await api('DELETE', '/organizations/initech/installations/app'), 404);
    expectProblem(await api('DELETE', '/organizations/nobody/installations/app'), 404);
    // Installing again starts a new installation.
    expect((await api('POST', '/organizations/initech/installations', { body: { client_id: 'app', scope: 'wallet:read' } })).status).toBe(201);
  });

  it('DELETE an organization: 409 while it has installations, ?cascade=true takes them (tokens stop), If-Match, 404, 400 for a bad cascade', async () => {
    await api('POST', '/organizations', { body: { id: 'globex', name: 'Globex' } });
    await api('POST', '/organizations/globex/installations', { body: { client_id: 'app2', scope: 'wallet:read' } });
    const auth = { authorization: basic('app2', APP_SECRET) };
    const issued = await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'globex' }, auth);
    expect(issued.status).toBe(200);
    const refused = await api('DELETE', '/organizations/globex');
    expectProblem(refused, 409);
    expect(refused.body.detail).toBe('organization globex has 1 installation; delete it first, or delete the organization with its installations (cascade)');
    expectProblem(await api('DELETE', '/organizations/globex?cascade=false'), 409);
    expectProblem(await api('DELETE', '/organizations/globex?cascade=yes'), 400);
    expectProblem(await api('DELETE', '/organizations/globex?cascade=true', { headers: { 'if-match': '"stale"' } }), 412);
    expectProblem(await api('DELETE', '/organizations/globex?cascade=true', { token: readToken }), 403);
    expect((await api('GET', '/organizations/globex')).status).toBe(200);
    const etag = (await api('GET', '/organizations/globex')).headers.get('etag')!;
    expect((await api('DELETE', '/organizations/globex?cascade=true', { headers: { 'if-match': etag } })).status).toBe(204);
    expectProblem(await api('GET', '/organizations/globex'), 404);
    expectProblem(await api('GET', '/organizations/globex/installations/app2'), 404);
    expect((await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token as string }, auth)).status).toBe(400);
    await eventually(async () => (await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'globex' }, auth)).status !== 200);
    expectProblem(await api('DELETE', '/organizations/globex'), 404);
    // An organization without installations needs no cascade; its client stays.
    await api('POST', '/organizations', { body: { id: 'empty-org', name: 'Empty' } });
    expect((await api('DELETE', '/organizations/empty-org')).status).toBe(204);
    expect((await api('GET', '/clients/app2')).status).toBe(200);
  });
});

describe('organization and installation metadata', () => {
  const DEEP = { a: { b: { c: { d: { e: 1 } } } } };
  const BIG = { big: 'x'.repeat(5000) };

  /** What the API says of a client with this metadata: the reference for every other record's metadata. */
  const clientErrors = async (metadata: unknown) => {
    const r = await api('POST', '/clients', { body: { client_id: 'meta-probe', client_secret: 'long-enough-secret-1', grant_types: ['client_credentials'], scope: 'read', metadata } });
    expectProblem(r, 422);
    return r.body.errors as Array<{ path: string; message: string }>;
  };

  it('POST and PATCH an organization with metadata: shown, replaced whole (not merged), removed by null', async () => {
    const r = await api('POST', '/organizations', { body: { id: 'meta-org', name: 'Meta', metadata: { tier: 'gold', limits: { seats: 5 } } } });
    expect(r.status).toBe(201);
    expect(r.body.metadata).toEqual({ tier: 'gold', limits: { seats: 5 } });
    expect((await api('GET', '/organizations/meta-org')).body.metadata).toEqual({ tier: 'gold', limits: { seats: 5 } });
    const etag = r.headers.get('etag')!;
    const p = await api('PATCH', '/organizations/meta-org', { body: { metadata: { region: 'eu' } }, headers: { 'if-match': etag } });
    expect(p.status).toBe(200);
    expect(p.body.metadata).toEqual({ region: 'eu' });
    expect(p.headers.get('etag')).not.toBe(etag);
    expectProblem(await api('PATCH', '/organizations/meta-org', { body: { metadata: { tier: 'x' } }, headers: { 'if-match': etag } }), 412);
    expect((await api('PATCH', '/organizations/meta-org', { body: { name: 'Meta 2' } })).body).toMatchObject({ name: 'Meta 2', metadata: { region: 'eu' } });
    const cleared = await api('PATCH', '/organizations/meta-org', { body: { metadata: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body).not.toHaveProperty('metadata');
  });

  it('refuses organization metadata out of bounds or not an object with 422 and the errors a client\'s metadata gets; nothing written', async () => {
    await api('POST', '/organizations', { body: { id: 'meta-bounds', name: 'Bounds', metadata: { tier: 'gold' } } });
    for (const bad of [DEEP, BIG, Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])), 'gold', ['a'], 7]) {
      const expected = await clientErrors(bad);
      const created = await api('POST', '/organizations', { body: { id: 'meta-bad', name: 'Bad', metadata: bad } });
      expectProblem(created, 422);
      expect(created.body.errors).toEqual(expected);
      const patched = await api('PATCH', '/organizations/meta-bounds', { body: { metadata: bad } });
      expectProblem(patched, 422);
      expect(patched.body.errors).toEqual(expected);
    }
    expectProblem(await api('GET', '/organizations/meta-bad'), 404);
    expect((await api('GET', '/organizations/meta-bounds')).body.metadata).toEqual({ tier: 'gold' });
  });

  it('POST and PATCH an installation with metadata: shown, replaced whole, kept by a scope change, removed by null; bounds as a client\'s', async () => {
    await api('POST', '/organizations', { body: { id: 'meta-inst', name: 'Inst' } });
    const tooDeep = await api('POST', '/organizations/meta-inst/installations', { body: { client_id: 'app', scope: 'wallet:read', metadata: DEEP } });
    expectProblem(tooDeep, 422);
    expect(tooDeep.body.errors).toEqual(await clientErrors(DEEP));
    expectProblem(await api('GET', '/organizations/meta-inst/installations/app'), 404);
    const r = await api('POST', '/organizations/meta-inst/installations', { body: { client_id: 'app', scope: 'wallet:read', metadata: { plan: 'pro' } } });
    expect(r.status).toBe(201);
    expect(r.body.metadata).toEqual({ plan: 'pro' });
    const scoped = await api('PATCH', '/organizations/meta-inst/installations/app', { body: { scope: 'wallet:read wallet:write' } });
    expect(scoped.body).toMatchObject({ scope: 'wallet:read wallet:write', metadata: { plan: 'pro' } });
    const replaced = await api('PATCH', '/organizations/meta-inst/installations/app', { body: { metadata: { seats: 3 } }, headers: { 'if-match': scoped.headers.get('etag')! } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ scope: 'wallet:read wallet:write', metadata: { seats: 3 } });
    for (const bad of [BIG, 'pro', ['a']]) {
      const refused = await api('PATCH', '/organizations/meta-inst/installations/app', { body: { metadata: bad } });
      expectProblem(refused, 422);
      expect(refused.body.errors).toEqual(await clientErrors(bad));
    }
    expect((await api('GET', '/organizations/meta-inst/installations/app')).body.metadata).toEqual({ seats: 3 });
    const cleared = await api('PATCH', '/organizations/meta-inst/installations/app', { body: { metadata: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body).not.toHaveProperty('metadata');
  });
});

describe('OpenAPI', () => {
  it('/openapi.json lists the organization routes under tag admin, bearer-secured, with the import document\'s fields', async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { tags?: string[]; security?: unknown; requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> };
    const orgs = doc.paths['/admin/v1/organizations']!;
    expect(orgs.get!.tags).toEqual(['admin']);
    expect(orgs.post!.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(orgs.post!.requestBody!.content['application/json']!.schema.properties!)).toEqual(expect.arrayContaining(['id', 'name']));
    const installs = doc.paths['/admin/v1/organizations/{id}/installations']!;
    expect(Object.keys(installs.post!.requestBody!.content['application/json']!.schema.properties!)).toEqual(expect.arrayContaining(['client_id', 'scope']));
    for (const path of ['/admin/v1/organizations/{id}', '/admin/v1/organizations/{id}/installations/{client_id}', '/admin/v1/organizations/{id}/installations/{client_id}/revoke']) expect(doc.paths[path]).toBeDefined();
  });
});

describe('organizations fuzz', () => {
  const FIELDS = ['id', 'name', 'status', 'org_id', 'client_id', 'scope', 'metadata', 'created_at', '__proto__'];
  const nested = fc.letrec((tie) => ({ node: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.string({ maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 3 }), tie('node'), { maxKeys: 3 })) })).node;
  const value = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.constantFrom('active', 'disabled', 'revoked', 'app', 'app-cc', 'wallet:read', 'acme'), nested);
  const body = fc.oneof({ arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 4 }).map((r) => JSON.stringify(r)), weight: 6 }, { arbitrary: fc.string(), weight: 1 });
  const id = fc.oneof({ arbitrary: fc.constantFrom('acme', 'hooli', 'nobody'), weight: 3 }, { arbitrary: fc.string({ minLength: 1, maxLength: 8 }), weight: 1 });
  const client = fc.constantFrom('app', 'app2', 'app-cc', 'nobody', '%20');
  const request = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE'),
    path: fc.oneof(
      fc.constant('/admin/v1/organizations'),
      id.map((i) => `/admin/v1/organizations/${encodeURIComponent(i)}`),
      fc.tuple(id, fc.constantFrom('true', 'false', '', 'x')).map(([i, c]) => `/admin/v1/organizations/${encodeURIComponent(i)}?cascade=${c}`),
      id.map((i) => `/admin/v1/organizations/${encodeURIComponent(i)}/installations`),
      fc.tuple(id, client).map(([i, c]) => `/admin/v1/organizations/${encodeURIComponent(i)}/installations/${c}`),
      fc.tuple(id, client).map(([i, c]) => `/admin/v1/organizations/${encodeURIComponent(i)}/installations/${c}/revoke`),
      fc.tuple(fc.string({ maxLength: 4 }), fc.string({ maxLength: 8 })).map(([l, c]) => `/admin/v1/organizations?limit=${encodeURIComponent(l)}&cursor=${encodeURIComponent(c)}`),
    ),
    body,
    ifMatch: fc.option(fc.oneof(fc.constant('*'), fc.string({ maxLength: 8 })), { nil: undefined }),
  });

  it('never answers 5xx, and every refusal is problem details', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = { 'content-type': 'application/json', ...(r.ifMatch !== undefined ? { 'if-match': r.ifMatch } : {}) };
        const a = await call(s.url, r.method, r.path, { token, headers, ...(r.method === 'POST' || r.method === 'PATCH' ? { body: r.body } : {}) });
        seen.add(a.status);
        expect(a.status, `${r.method} ${r.path} ${r.body} -> ${a.text}`).toBeLessThan(500);
        if (a.status >= 400) expect(a.headers.get('content-type'), `${r.method} ${r.path} -> ${a.status}`).toMatch(/^application\/problem\+json/);
      }),
      { numRuns: 200 },
    );
    expect(seen.has(422)).toBe(true);
  }, 120_000);
});
