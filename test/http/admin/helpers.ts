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
