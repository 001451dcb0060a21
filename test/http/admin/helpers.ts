import { expect } from 'vitest';
import { basic, startTestServer, type TestServer } from '../../support/server.js';

export const SECRET = 'admin-secret-1234';

/** Admin clients are ordinary clients of the import document, told apart by their scope. */
export const ADMIN_CLIENTS = [
  { client_id: 'admin', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:admin' },
  { client_id: 'admin-opaque', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:admin', access_token_format: 'opaque' },
  { client_id: 'reader', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:admin:read' },
  { client_id: 'plain', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
];

export function startAdminServer(env: Record<string, string> = {}): Promise<TestServer> {
  return startTestServer({ doc: { clients: ADMIN_CLIENTS }, env });
}

/** A client_credentials token of `clientId` (secret `secret`), from `base` (the public listener). */
export async function tokenOf(s: TestServer, clientId: string, secret = SECRET): Promise<string> {
  const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(clientId, secret) });
  if (r.status !== 200) throw new Error(`no token for ${clientId}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token as string;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

/** One admin API request over a real socket; `body` is sent as JSON unless a string is given. */
export async function call(base: string, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) };
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, { method, headers: { ...headers, ...(opts.headers ?? {}) }, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** An RFC 9457 problem answer with this status. */
export function expectProblem(r: { status: number; headers: Headers; body: Record<string, unknown> }, status: number): void {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(r.body).toMatchObject({ type: 'about:blank', status });
}

/** The field paths of a 422's `errors`, sorted. */
export const errorPaths = (r: { body: Record<string, unknown> }): string[] => (r.body.errors as Array<{ path: string }>).map((e) => e.path).sort();

/** One fuzzed admin request (fuzz tests): never a 5xx, every refusal but a 405 problem details; the status tallied. */
export async function fuzzOnce(base: string, token: string, r: { method: string; path: string; type: string; body: unknown; ifMatch?: string | undefined }, tally: Map<number, number>): Promise<void> {
  const headers: Record<string, string> = { 'content-type': r.type, ...(r.ifMatch !== undefined ? { 'if-match': r.ifMatch } : {}) };
  const withBody = r.method !== 'GET' && r.method !== 'DELETE';
  const a = await call(base, r.method, r.path, { token, headers, ...(withBody ? { body: r.body } : {}) });
  tally.set(a.status, (tally.get(a.status) ?? 0) + 1);
  expect(a.status, `${r.method} ${r.path} ${String(r.body)} -> ${a.text}`).toBeLessThan(500);
  if (a.status >= 400 && a.status !== 405) expect(a.headers.get('content-type'), `${r.method} ${r.path} -> ${a.status}`).toMatch(/^application\/problem\+json/);
}

/**
 * Polls `check` until it holds, within `withinMs`: what the change feed spreads (a client disabled, deleted) reaches
 * each node's caches within a sync interval (config cacheSyncIntervalMs, 250 ms), not synchronously.
 */
export async function eventually(check: () => Promise<boolean>, withinMs = 3000): Promise<void> {
  const until = Date.now() + withinMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
