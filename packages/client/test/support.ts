import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FetchLike } from '../src/index.js';

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
export async function loopback(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<LoopbackServer> {
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
