import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

/** What a peer route answers. `hang: true` never answers (a provider that is down but accepts connections). */
export interface PeerAnswer {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  delayMs?: number;
  hang?: boolean;
}

export interface PeerRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export type PeerRoute = (req: PeerRequest) => PeerAnswer | Promise<PeerAnswer>;

/**
 * A real HTTP server on 127.0.0.1:ephemeral standing in for a third party (JWKS host, RFC 7662 endpoint, Facebook
 * debug_token). Routes are replaceable while it runs; every request is counted and recorded.
 */
export interface Peer {
  url: string;
  routes: Map<string, PeerRoute>;
  hits(path: string): number;
  requests: PeerRequest[];
  close(): Promise<void>;
}

export async function startPeer(routes: Record<string, PeerRoute> = {}): Promise<Peer> {
  const table = new Map(Object.entries(routes));
  const counts = new Map<string, number>();
  const requests: PeerRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const pr: PeerRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(pr);
      counts.set(url.pathname, (counts.get(url.pathname) ?? 0) + 1);
      const route = table.get(url.pathname);
      void Promise.resolve(route ? route(pr) : { status: 404, body: { error: 'not found' } }).then((a) => {
        if (a.hang) return;
        const send = () => {
          const body = typeof a.body === 'string' ? a.body : JSON.stringify(a.body ?? {});
          res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...(a.headers ?? {}) });
          res.end(body);
        };
        if (a.delayMs) {
          const t = setTimeout(() => {
            timers.delete(t);
            send();
          }, a.delayMs);
          timers.add(t);
        } else send();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routes: table,
    hits: (path) => counts.get(path) ?? 0,
    requests,
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A signing key pair with its public JWK, as a third-party issuer would hold it. */
export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKey(kid: string, alg = 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

export function jwks(...keys: TestKey[]): { keys: JWK[] } {
  return { keys: keys.map((k) => k.publicJwk) };
}

/** Signs claims as-is (no defaults added), so tests control every claim, including missing ones. */
export async function sign(key: TestKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

/** Unsigned JWT with alg "none" (RFC 7519 §6), hand-built: jose refuses to create one. */
export function unsecuredJwt(claims: JWTPayload, header: Record<string, unknown> = {}): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', ...header })}.${enc(claims)}.`;
}

/** HS256 JWT keyed with arbitrary bytes (e.g. a public key's bytes: the classic alg-confusion attack). */
export async function hmacJwt(secret: Uint8Array, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', ...header }).sign(secret);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
