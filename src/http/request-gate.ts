import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { OAuthError } from '../oauth/errors.js';
import { requestIdFor } from './request-id.js';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

const NO_HOST = OAuthError.invalidRequest('The request has no Host header');
const CLOSING = OAuthError.temporarilyUnavailable('This node is shutting down, retry the request', 1);

function refuse(req: IncomingMessage, res: ServerResponse, err: OAuthError): void {
  const body = JSON.stringify(err.toJSON());
  res.writeHead(err.status, {
    ...err.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'x-request-id': requestIdFor(req),
    connection: 'close',
  });
  res.end(body);
}

/** Requests refused before they reach Fastify, each in the RFC 6749 §5.2 shape. */
export interface RequestGate {
  /** From now on every request gets 503 temporarily_unavailable with Retry-After and Connection: close. */
  close(): void;
}

/**
 * Two refusals Node and Fastify would otherwise answer in their own shapes, made first thing in the server's
 * request listener:
 * - RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400. Node makes that check before any listener runs
 *   (requireHostHeader) and answers with an empty body; the gate makes the same check in the same order. Node's
 *   own check is switched off only when the listener could be wrapped, so a server this cannot wrap (Fastify's
 *   extra bindings for host 'localhost') keeps Node's bare 400: never no check at all.
 * - A node that is shutting down (after close()): requests still arriving on open keep-alive connections get
 *   503 temporarily_unavailable with Retry-After, so the client or load balancer retries on another node.
 *   Fastify's return503OnClosing answered these with `{"error":"Service Unavailable",...}` and no no-store.
 * Both close the connection. The cost per served request is two comparisons.
 */
export function installRequestGate(server: Server): RequestGate {
  let closing = false;
  const gate: RequestGate = { close: () => void (closing = true) };
  const listeners = server.listeners('request');
  if (listeners.length !== 1) return gate;
  const handle = listeners[0] as RequestListener;
  server.removeListener('request', handle);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 1 && req.headers.host === undefined) refuse(req, res, NO_HOST);
    else if (closing) refuse(req, res, CLOSING);
    else handle(req, res);
  });
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  return gate;
}
