import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import type { TestServer } from '../../support/server.js';
import { call, startAdminServer, tokenOf } from './helpers.js';

/** adminListen: the admin API on a listener of its own, and not on the public one. */
let s: TestServer;
let token: string;

beforeAll(async () => {
  s = await startAdminServer({ TESSERA_ADMIN_LISTEN: '127.0.0.1:0' });
  token = await tokenOf(s, 'admin');
});
afterAll(async () => s.stop());

describe('--admin-listen', () => {
  it('serves the admin API on the admin listener only; the public listener answers 404 for /admin/*', async () => {
    expect(s.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.adminUrl).not.toBe(s.url);
    const created = await call(s.adminUrl!, 'POST', '/admin/v1/clients', { token, body: { client_id: 'x', grant_types: ['client_credentials'], scope: 'read' } });
    expect(created.status).toBe(201);
    expect((await call(s.adminUrl!, 'GET', '/admin/v1/clients/x', { token })).status).toBe(200);
    for (const path of ['/admin/v1/clients', '/admin/v1/clients/x', '/admin/anything']) expect((await call(s.url, 'GET', path, { token })).status).toBe(404);
    expect((await call(s.url, 'POST', '/admin/v1/clients', { token, body: { client_id: 'y', grant_types: ['client_credentials'], scope: 'read' } })).status).toBe(404);
  });

  it('the admin listener serves no OAuth endpoint; the public one still does, and issues to the client made on the other', async () => {
    expect((await fetch(`${s.adminUrl!}/oauth/token`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${s.adminUrl!}/.well-known/oauth-authorization-server`)).status).toBe(404);
    expect((await fetch(`${s.url}/.well-known/oauth-authorization-server`)).status).toBe(200);
  });

  it('each listener documents its own routes in /openapi.json', async () => {
    const pub = (await (await fetch(`${s.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    const adm = (await (await fetch(`${s.adminUrl!}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(pub.paths).some((p) => p.startsWith('/admin/'))).toBe(false);
    expect(pub.paths['/oauth/token']).toBeDefined();
    expect(adm.paths['/admin/v1/clients']).toBeDefined();
    expect(adm.paths['/oauth/token']).toBeUndefined();
  });
});

describe('adminListen configuration', () => {
  it('comes from the flag, the environment or the file, flag first', () => {
    expect(loadConfig({ adminListen: '10.0.0.1:9000' }, { TESSERA_ADMIN_LISTEN: '127.0.0.1:9001' }).adminListen).toBe('10.0.0.1:9000');
    expect(loadConfig({}, { TESSERA_ADMIN_LISTEN: '[::1]:9001' }).adminListen).toBe('[::1]:9001');
    expect(loadConfig({}, {}).adminListen).toBeUndefined();
  });

  it.each(['9000', 'host', ':9000', 'a:b', '::1:9000', 'host:70000'])('refuses %s', (value) => {
    expect(() => loadConfig({}, { TESSERA_ADMIN_LISTEN: value })).toThrow(/adminListen/);
  });
});
