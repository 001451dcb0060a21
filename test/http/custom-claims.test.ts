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
/** An org app's template: the organisation's and the installation's metadata, the installation id, user.attributes (absent here). */
const ORG_TEMPLATE = { tier: '{{org.metadata.x}}', seats: '{{installation.metadata.y}}', inst: '{{installation.id}}', label: '{{org.id}}/{{installation.metadata.y}}', roles: '{{user.attributes.roles}}' };
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
        client('org-meta', { grant_types: ['org_implicit', 'refresh_token'], claims: ORG_TEMPLATE }),
        client('org-meta-opaque', { grant_types: ['org_implicit'], claims: ORG_TEMPLATE, access_token_format: 'opaque' }),
        { client_id: 'rs', client_secret: SECRET, grant_types: ['client_credentials'], scope: '', introspect_any: true },
        { client_id: 'bare', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
      ],
      users: [{ username: 'ada', password: PASSWORD, metadata: { roles: ['admin', 'billing'] } }],
      organizations: [{ id: 'acme', name: 'Acme' }, { id: 'globex', name: 'Globex', metadata: { x: 'enterprise' } }],
      installations: [
        { org_id: 'acme', client_id: 'org-app', scope: 'read' },
        { id: 'inst-globex', org_id: 'globex', client_id: 'org-meta', scope: 'read', metadata: { y: 12 } },
        { org_id: 'globex', client_id: 'org-meta-opaque', scope: 'read', metadata: { y: 3 } },
        { org_id: 'acme', client_id: 'org-meta', scope: 'read' },
      ],
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

  it('reads the organisation\'s and the installation\'s metadata on org_implicit and its refresh, in the JWT and introspection', async () => {
    const org = await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'globex' }, auth('org-meta'));
    expect(org.status).toBe(200);
    const payload = decodeJwt(org.body.access_token as string);
    expect(payload).toMatchObject({ sub: 'globex', org_id: 'globex', tier: 'enterprise', seats: 12, inst: 'inst-globex', label: 'globex/12' });
    // No user on an org grant: user.attributes resolves to nothing and its claim is left out.
    expect(payload).not.toHaveProperty('roles');
    expect(await introspect(org.body.access_token)).toMatchObject({ active: true, sub: 'globex', tier: 'enterprise', seats: 12, inst: 'inst-globex', label: 'globex/12' });
    const again = await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: org.body.refresh_token as string }, auth('org-meta'));
    expect(again.status).toBe(200);
    expect(decodeJwt(again.body.access_token as string)).toMatchObject({ tier: 'enterprise', seats: 12, inst: 'inst-globex' });
    const opaque = await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'globex' }, auth('org-meta-opaque'));
    expect(await introspect(opaque.body.access_token)).toMatchObject({ active: true, tier: 'enterprise', seats: 3, label: 'globex/3' });
  });

  it('leaves the claims out for an organisation and an installation without metadata', async () => {
    const r = await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'acme' }, auth('org-meta'));
    expect(r.status).toBe(200);
    const payload = decodeJwt(r.body.access_token as string);
    expect(payload).toMatchObject({ sub: 'acme', inst: expect.any(String) });
    for (const claim of ['tier', 'seats', 'label', 'roles']) expect(payload).not.toHaveProperty(claim);
  });

  it('the next token reads metadata changed through the admin API (the caches follow the change feed), and its refresh too', async () => {
    const first = await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'globex' }, auth('org-meta'));
    expect(decodeJwt(first.body.access_token as string)).toMatchObject({ tier: 'enterprise', seats: 12 });
    const patchedOrg = await api('PATCH', '/organizations/globex', { metadata: { x: 'startup' } });
    expect(patchedOrg.status).toBe(200);
    await eventually(async () => decodeJwt((await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'globex' }, auth('org-meta'))).body.access_token as string).tier === 'startup');
    const patchedInst = await api('PATCH', '/organizations/globex/installations/org-meta', { metadata: { y: 40 } });
    expect(patchedInst.status).toBe(200);
    await eventually(async () => decodeJwt((await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'globex' }, auth('org-meta'))).body.access_token as string).seats === 40);
    // A refresh token issued before the changes carries the current metadata, not the one of its first token.
    const refreshed = await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string }, auth('org-meta'));
    expect(refreshed.status).toBe(200);
    const payload = decodeJwt(refreshed.body.access_token as string);
    expect(payload).toMatchObject({ tier: 'startup', seats: 40, label: 'globex/40' });
    expect(await introspect(refreshed.body.access_token)).toMatchObject({ active: true, tier: 'startup', seats: 40 });
    // Removing the organisation's metadata removes its claim from the next token.
    expect((await api('PATCH', '/organizations/globex', { metadata: null })).status).toBe(200);
    await eventually(async () => !('tier' in decodeJwt((await s.post('/oauth/token', { grant_type: 'org_implicit', org_id: 'globex' }, auth('org-meta'))).body.access_token as string)));
  });

  it('refuses a template with an unknown org or installation reference through the admin API (422), naming the known ones', async () => {
    const r = await api('PATCH', '/clients/org-meta', { claims: { name: '{{org.name}}' } });
    expectProblem(r, 422);
    expect(r.body.errors).toEqual([{ path: 'claims.name', message: expect.stringMatching(/^"\{\{org\.name\}\}" is not a known reference \(.*org\.metadata\.<path>, installation\.metadata\.<path>\)$/) }]);
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
