import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/server.js';
import { ADMIN_CLIENTS, call, startAdminServer, tokenOf } from './helpers.js';
import { CONSOLE_CLIENT_ID } from '../../../src/admin/console-client.js';

let s: TestServer;
let token: string;

beforeAll(async () => {
  s = await startAdminServer();
  token = await tokenOf(s, 'admin');
  // 120 more clients, created in an order unlike their ids.
  const ids = Array.from({ length: 120 }, (_, i) => `c-${String((i * 37) % 120).padStart(3, '0')}`);
  for (const id of ids) {
    const r = await call(s.url, 'POST', '/admin/v1/clients', { token, body: { client_id: id, grant_types: ['refresh_token'], scope: 'read', token_endpoint_auth_method: 'none' } });
    if (r.status !== 201) throw new Error(`${id}: ${r.status} ${r.text}`);
  }
}, 60_000);
afterAll(async () => s.stop());

describe('GET /admin/v1/clients pagination', () => {
  it('walks every client once, in client_id order, by next cursors and Link headers', async () => {
    const seen: string[] = [];
    let path: string | null = '/admin/v1/clients?limit=50';
    let pages = 0;
    while (path !== null) {
      const r = await call(s.url, 'GET', path, { token });
      expect(r.status).toBe(200);
      const items = r.body.items as Array<{ client_id: string }>;
      seen.push(...items.map((c) => c.client_id));
      pages++;
      const next = r.body.next as string | null;
      const link = r.headers.get('link');
      if (next === null) {
        expect(link).toBeNull();
        path = null;
      } else {
        expect(items).toHaveLength(50);
        expect(link).toBe(`</admin/v1/clients?limit=50&cursor=${next}>; rel="next"`);
        path = /^<([^>]+)>/.exec(link!)![1]!;
      }
    }
    // The console's built-in client is created at start-up (admin/console-client.ts).
    const all = [...ADMIN_CLIENTS.map((c) => c.client_id), CONSOLE_CLIENT_ID, ...Array.from({ length: 120 }, (_, i) => `c-${String(i).padStart(3, '0')}`)];
    expect(pages).toBe(3);
    expect(seen).toHaveLength(all.length);
    expect(new Set(seen).size).toBe(all.length);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen)).toEqual(new Set(all));
  });

  it('is stable while clients are added behind the cursor: nothing repeated, nothing missed', async () => {
    const first = await call(s.url, 'GET', '/admin/v1/clients?limit=10', { token });
    const firstIds = (first.body.items as Array<{ client_id: string }>).map((c) => c.client_id);
    await call(s.url, 'POST', '/admin/v1/clients', { token, body: { client_id: '0-before-everything', grant_types: ['refresh_token'], scope: 'read', token_endpoint_auth_method: 'none' } });
    const second = await call(s.url, 'GET', `/admin/v1/clients?limit=10&cursor=${first.body.next as string}`, { token });
    const secondIds = (second.body.items as Array<{ client_id: string }>).map((c) => c.client_id);
    expect(secondIds.some((id) => firstIds.includes(id))).toBe(false);
    expect(secondIds[0]! > firstIds.at(-1)!).toBe(true);
  });

  it('defaults to 50 items', async () => {
    const r = await call(s.url, 'GET', '/admin/v1/clients', { token });
    expect(r.body.items as unknown[]).toHaveLength(50);
    expect(r.headers.get('link')).toMatch(/limit=50&cursor=/);
  });

  it.each(['0', '201', '-1', '1.5', 'ten', ''])('400 problem for limit=%s', async (limit) => {
    const r = await call(s.url, 'GET', `/admin/v1/clients?limit=${limit}`, { token });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it.each(['!!', 'not base64url', '', '_w'])('400 problem for a cursor this API never gave (%s)', async (cursor) => {
    const r = await call(s.url, 'GET', `/admin/v1/clients?cursor=${encodeURIComponent(cursor)}`, { token });
    expect(r.status).toBe(400);
  });

  it('q searches client_id (and name) on the server; the next link carries it; a repeated q is a 400', async () => {
    const first = await call(s.url, 'GET', '/admin/v1/clients?limit=5&q=C-1', { token });
    expect(first.status).toBe(200);
    const ids = (first.body.items as Array<{ client_id: string }>).map((c) => c.client_id);
    expect(ids).toEqual(['c-100', 'c-101', 'c-102', 'c-103', 'c-104']);
    const link = first.headers.get('link')!;
    expect(link).toMatch(/^<\/admin\/v1\/clients\?limit=5&q=C-1&cursor=[A-Za-z0-9_-]+>; rel="next"$/);
    let rest: string[] = [];
    for (let path: string | null = /^<([^>]+)>/.exec(link)![1]!; path !== null; ) {
      const r = await call(s.url, 'GET', path, { token });
      rest = rest.concat((r.body.items as Array<{ client_id: string }>).map((c) => c.client_id));
      path = r.body.next === null ? null : /^<([^>]+)>/.exec(r.headers.get('link')!)![1]!;
    }
    // The ids are c-000..c-119: 'C-1' (case-insensitive) is in c-100..c-119 only.
    expect([...ids, ...rest]).toEqual(Array.from({ length: 20 }, (_, i) => `c-1${String(i).padStart(2, '0')}`));
    expect((await call(s.url, 'GET', '/admin/v1/clients?q=nothing-like-this', { token })).body).toEqual({ items: [], next: null });
    expect((await call(s.url, 'GET', '/admin/v1/clients?q=a&q=b', { token })).status).toBe(400);
  });

  it('limit=200 gives at most 200', async () => {
    const r = await call(s.url, 'GET', '/admin/v1/clients?limit=200', { token });
    expect((r.body.items as unknown[]).length).toBe(126); // 4 admin clients, the console's, 120, and the one added above
    expect(r.body.next).toBeNull();
  });
});
