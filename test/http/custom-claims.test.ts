import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { basic, type TestServer } from '../support/server.js';
import { applyImportDocument } from '../../src/admin/import-apply.js';
import { validateImportDocument } from '../../src/admin/import-document.js';
import { call, eventually, expectProblem, startAdminServer, tokenOf } from './admin/helpers.js';

/** Custom claims from a client's template, in JWTs and introspection (JWT and opaque), managed through the admin API. */
const SECRET = 'claims-secret-1234';
const PASSWORD = 'correct horse battery';
const auth = (id: string) => ({ authorization: basic(id, SECRET) });
const TEMPLATE = { plan: '{{client.metadata.plan}}', tenant: 'org-{{org.id}}', who: '{{user.username}}', roles: '{{user.metadata.roles}}', limits: '{{client.metadata.limits}}', fixed: 7, missing: '{{client.metadata.nope}}' };

let s: TestServer;
let admin: string;
const api = (method: string, path: string, body?: unknown) => call(s.url, method, `/admin/v1${path}`, { token: admin, ...(body !== undefined ? { body } : {}) });

beforeAll(async () => {
  s = await startAdminServer();
  admin = await tokenOf(s, 'admin');
  const client = (client_id: string, extra: Record<string, unknown> = {}) => ({ client_id, client_secret: SECRET, scope: 'read', metadata: { plan: 'gold', limits: { seats: 5 } }, claims: TEMPLATE, ...extra });
  await applyImportDocument(
    s.ctx.store,
    {
      clients: [
        client('svc', { grant_types: ['client_credentials'] }),
        client('svc-opaque', { grant_types: ['client_credentials'], access_token_format: 'opaque' }),
        client('web', { grant_types: ['password', 'refresh_token'] }),
        client('org-app', { grant_types: ['org_implicit'] }),
        { client_id: 'rs', client_secret: SECRET, grant_types: ['client_credentials'], scope: '', introspect_any: true },
        { client_id: 'bare', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
      ],
      users: [{ username: 'ada', password: PASSWORD, metadata: { roles: ['admin', 'billing'] } }],
      organizations: [{ id: 'acme', name: 'Acme' }],
      installations: [{ org_id: 'acme', client_id: 'org-app', scope: 'read' }],
    },
    { masterKey: s.masterKey.key, defaults: { accessTokenTtl: s.config.accessTokenTtl } },
  );
});
afterAll(async () => s?.stop());

const cc = (client: string) => s.post('/oauth/token', { grant_type: 'client_credentials' }, auth(client));
const introspect = async (token: unknown) => (await s.post('/oauth/introspect', { token: token as string }, auth('rs'))).body;

describe('custom claims', () => {
  it('puts the template into a client_credentials JWT; a missing reference leaves its claim out', async () => {
    const r = await cc('svc');
    expect(r.status).toBe(200);
    const payload = decodeJwt(r.body.access_token as string);
    expect(payload).toMatchObject({ plan: 'gold', limits: { seats: 5 }, fixed: 7, sub: 'svc', client_id: 'svc' });
    // No org, no user, no such metadata key: those claims are omitted, not empty.
    expect(payload).not.toHaveProperty('tenant');
    expect(payload).not.toHaveProperty('who');
    expect(payload).not.toHaveProperty('missing');
    expect(await introspect(r.body.access_token)).toMatchObject({ active: true, plan: 'gold', fixed: 7, limits: { seats: 5 } });
  });

  it('stores the claims of an opaque token, so introspection answers them', async () => {
    const r = await cc('svc-opaque');
    expect(await introspect(r.body.access_token)).toMatchObject({ active: true, plan: 'gold', fixed: 7, sub: 'svc-opaque' });
  });

  it('reads the user on password and refresh grants and the organisation on org_implicit', async () => {
    const login = await s.post('/oauth/token', { grant_type: 'password', username: 'ada', password: PASSWORD }, auth('web'));
    expect(decodeJwt(login.body.access_token as string)).toMatchObject({ who: 'ada', plan: 'gold', username: 'ada', roles: ['admin', 'billing'] });
    const again = await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: login.body.refresh_token as string }, auth('web'));
    expect(decodeJwt(again.body.access_token as string)).toMatchObject({ who: 'ada', plan: 'gold', roles: ['admin', 'billing'] });
    const org = await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'acme' }, auth('org-app'));
    expect(decodeJwt(org.body.access_token as string)).toMatchObject({ tenant: 'org-acme', sub: 'acme', org_id: 'acme' });
  });

  it('reads a user\'s metadata as changed through the admin API on the next refresh', async () => {
    const login = await s.post('/oauth/token', { grant_type: 'password', username: 'ada', password: PASSWORD }, auth('web'));
    const ada = (await s.ctx.store.users.getByUsername('ada'))!;
    const patched = await api('PATCH', `/users/${ada.id}`, { metadata: { roles: ['auditor'] } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ metadata: { roles: ['auditor'] } });
    await eventually(async () => {
      const r = await s.post('/oauth/token', { grant_type: 'password', username: 'ada', password: PASSWORD }, auth('web'));
      return JSON.stringify(decodeJwt(r.body.access_token as string).roles) === '["auditor"]';
    });
    const again = await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: login.body.refresh_token as string }, auth('web'));
    expect(decodeJwt(again.body.access_token as string).roles).toEqual(['auditor']);
    const tooDeep = await api('PATCH', `/users/${ada.id}`, { metadata: { a: { b: { c: { d: { e: 1 } } } } } });
    expectProblem(tooDeep, 422);
    expect(tooDeep.body.errors).toEqual([{ path: 'metadata', message: 'must be nested at most 4 levels deep' }]);
  });

  it('adds nothing for a client without a template', async () => {
    const payload = decodeJwt((await cc('bare')).body.access_token as string);
    expect(Object.keys(payload).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub']);
  });

  it('recompiles a changed template: the next token carries the new claims', async () => {
    const r = await api('PATCH', '/clients/svc', { metadata: { plan: 'platinum' }, claims: { plan: '{{client.metadata.plan}}' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ metadata: { plan: 'platinum' }, claims: { plan: '{{client.metadata.plan}}' } });
    await eventually(async () => decodeJwt((await cc('svc')).body.access_token as string).plan === 'platinum');
    expect(decodeJwt((await cc('svc')).body.access_token as string)).not.toHaveProperty('fixed');
  });

  it('refuses a reserved claim through the admin API with the import document’s message (422)', async () => {
    const r = await api('POST', '/clients', { client_id: 'sneaky', grant_types: ['client_credentials'], scope: 'read', claims: { iss: 'https://evil.example', client_id: 'other' } });
    expectProblem(r, 422);
    const said = validateImportDocument({ clients: [{ client_id: 'sneaky', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', claims: { iss: 'https://evil.example', client_id: 'other' } }] }).map((p) => ({ path: p.path.replace(/^\$\.clients\[0\]\./, ''), message: p.message }));
    expect(said).toHaveLength(2);
    expect(r.body.errors).toEqual(said);
    expect(said[0]).toEqual({ path: 'claims.iss', message: 'is a reserved claim Tessera sets itself and cannot be overridden' });
  });
});
