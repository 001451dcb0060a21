import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { AdminApiError, AdminClient, TokenClient, type FetchLike } from '../src/index.js';

/** Wraps the real fetch and records every request it sends (URL, method, status), so tests can count them. */
export function countingFetch(): { fetch: FetchLike; calls: Array<{ url: string; method: string; status: number | undefined }>; count(path?: string): number } {
  const calls: Array<{ url: string; method: string; status: number | undefined }> = [];
  return {
    calls,
    fetch: async (url, init) => {
      const call: { url: string; method: string; status: number | undefined } = { url, method: init.method ?? 'GET', status: undefined };
      calls.push(call);
      const res = await fetch(url, init);
      call.status = res.status;
      return res;
    },
    count: (path) => (path ? calls.filter((c) => new URL(c.url).pathname === path).length : calls.length),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the wall clock has passed `epochMs` (token expiry is defined by the wall clock). */
export async function sleepUntil(epochMs: number): Promise<void> {
  while (Date.now() < epochMs) await sleep(Math.min(250, Math.max(1, epochMs - Date.now())));
}

export interface LoopbackServer {
  url: string;
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}

/** A tiny HTTP peer on 127.0.0.1 for what a real Tessera cannot show (a server that never answers, a captured request). */
export async function loopback(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void, port = 0): Promise<LoopbackServer> {
  const requests: LoopbackServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A proxy in front of a real Tessera that loses answers: every request is forwarded (so the server acts on it),
 * and when `lose(body)` says so the client's connection is destroyed instead of answered, as a mobile network
 * loses a response. `port` 0 picks a free one.
 */
export async function lossyProxy(target: string, lose: (body: URLSearchParams) => boolean, port = 0): Promise<LoopbackServer> {
  return loopback((req, res, body) => {
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'authorization', 'accept']) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name];
    void fetch(target + (req.url ?? '/'), { method: req.method ?? 'POST', headers, body: req.method === 'GET' ? undefined : body }).then(async (upstream) => {
      const text = await upstream.text();
      if (lose(new URLSearchParams(body))) {
        req.socket.destroy();
        return;
      }
      res.statusCode = upstream.status;
      for (const name of ['content-type', 'cache-control', 'x-request-id', 'retry-after']) {
        const v = upstream.headers.get(name);
        if (v !== null) res.setHeader(name, v);
      }
      res.end(text);
    });
  }, port);
}

/** A port nothing listens on (yet): bound once by the OS, then released. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The admin client every AdminClient test imports (client_credentials with scope tessera:admin). */
export const ADMIN_SECRET = 'admin-secret-0123';
export const DEPLOYER = { client_id: 'deployer', client_secret: ADMIN_SECRET, grant_types: ['client_credentials'], scope: 'tessera:admin' };

/** An AdminClient for a test server, getting its token as DEPLOYER (optionally through a counting fetch). */
export function deployerAdmin(url: string, fetch?: FetchLike): AdminClient {
  const tokenClient = new TokenClient({ issuer: url, clientId: 'deployer', clientSecret: ADMIN_SECRET, grant: { type: 'client_credentials', scope: 'tessera:admin' }, ...(fetch ? { fetch } : {}) });
  return new AdminClient({ baseUrl: url, tokenClient });
}

/** The AdminApiError a call rejects with (fails the test if it resolves or rejects with anything else). */
export async function refusal(p: Promise<unknown>): Promise<AdminApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AdminApiError);
  return err as AdminApiError;
}
