import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { loggerOptions } from '../../src/http/logger.js';
import { applyImportDocument } from '../../src/admin/import-apply.js';

export interface TestServer extends RunningServer {
  dataDir: string;
  config: Config;
  /** POST a form to a path; returns status, headers and parsed JSON body. */
  post(path: string, form: Record<string, string> | string, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64');
}

/** Starts a real Tessera on 127.0.0.1 with an ephemeral port and a fresh data dir (SQLite unless databaseUrl given). */
export async function startTestServer(opts: { doc?: unknown; env?: Record<string, string>; logStream?: NodeJS.WritableStream; now?: () => number } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const config = loadConfig({ port: '0', host: '127.0.0.1', dataDir }, { TESSERA_LOG_LEVEL: 'silent', ...(opts.env ?? {}) });
  // With a log stream, the production logger options (redaction, serializers) at trace level: tests see what operators would.
  const logger = opts.logStream ? pino(loggerOptions('trace'), opts.logStream) : pino({ level: 'silent' });
  const server = await startServer(config, { logger, ...(opts.now ? { now: opts.now } : {}) });
  if (opts.doc) await applyImportDocument(server.ctx.store, opts.doc, { masterKey: server.masterKey.key, defaults: { accessTokenTtl: config.accessTokenTtl } });
  const post: TestServer['post'] = async (path, form, headers = {}) => {
    const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
    const res = await fetch(server.url + path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { raw: text };
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  return {
    ...server,
    dataDir,
    // The server's own config: its issuer is the listening URL (an ephemeral port is known only once listening).
    config: server.ctx.config,
    post,
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Resolves once the server's change follower has dispatched every change committed before the call. The test
 * server imports its document after the server started, so the follower's next poll reports those clients as
 * changed and evicts them from the client cache (and drops their remote key sets), which is right (it cannot know
 * the cached copy is newer than the change) but, landing after a warm-up, empties the cache the test means to
 * prove. This commits a marker change of its own and waits for it on the change bus: the follower dispatches in
 * commit order (one SQLite writer), so the import's changes have gone by then.
 */
export async function followerCaughtUp(s: RunningServer): Promise<void> {
  const marker = `cache-sync-marker-${randomUUID()}`;
  const seen = new Promise<void>((resolve) => s.ctx.changes.subscribe('org', (id) => void (id === marker && resolve())));
  await s.ctx.store.organizations.create({ id: marker, name: marker, status: 'active' });
  await seen;
}
