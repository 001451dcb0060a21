import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { OAuthError } from '../oauth/errors.js';
import { requestIdFor } from './request-id.js';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

const BODY = JSON.stringify(OAuthError.invalidRequest('The request has no Host header').toJSON());

function refuse(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(400, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(BODY),
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'x-request-id': requestIdFor(req),
    connection: 'close',
  });
  res.end(BODY);
}

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400. Node makes that check itself before any listener runs
 * (requireHostHeader) and answers with an empty body; Tessera makes the same check, in the same order, first thing
 * in the server's request listener and answers in the RFC 6749 §5.2 shape like every other error, then closes the
 * connection as Node does. Node's own check is switched off only when the listener could be wrapped, so a server
 * this cannot wrap (Fastify's extra bindings for host 'localhost') keeps Node's bare 400: never no check at all.
 */
export function answerMissingHostAsOAuthError(server: Server): void {
  const listeners = server.listeners('request');
  if (listeners.length !== 1) return;
  const handle = listeners[0] as RequestListener;
  server.removeListener('request', handle);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 1 && req.headers.host === undefined) refuse(req, res);
    else handle(req, res);
  });
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
}
