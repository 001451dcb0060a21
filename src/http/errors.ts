import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { OAuthError } from '../oauth/errors.js';
import { isDependencyFailure, publicFailureReason } from '../store/errors.js';
import type { OutageLog } from '../observability/outage-log.js';
import type { Store } from '../store/types.js';

/** What the error handler needs to log a database outage once: the context's outage log and the store to ping. */
export interface Dependencies {
  readonly outages: OutageLog;
  readonly store: Pick<Store, 'ping'>;
}

/** While the database is down, it is pinged this often (ms) in the background so its return is logged. */
const DATABASE_PROBE_MS = 1000;
import { recordThrottleRefusal } from './rate-limit.js';

/** How Node and its streams fail a request stream whose client went away before the request was whole. */
const ABORT_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * The answer to a request whose client closed the connection (or was cut off at its deadline) mid-body. Nobody
 * reads it; it only completes Fastify's reply. Not a 5xx: it is no failure of ours.
 */
export const CLIENT_ABORTED = OAuthError.invalidRequest('The connection closed before the request was complete');

/**
 * True when `err` is the request's own stream failing because its client went away: Node fails the body stream
 * with ECONNRESET ("aborted") when the socket closes before the body is complete, and the request is then marked
 * aborted with its socket destroyed. The same codes from an outbound connection (PostgreSQL, Redis, a remote
 * JWKS) while the client is still there are dependency failures, and stay so.
 */
export function isClientAbort(err: unknown, raw: IncomingMessage): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !ABORT_CODES.has(code)) return false;
  return raw.aborted || raw.socket?.destroyed === true;
}

/**
 * Maps anything thrown in a route to an RFC 6749 §5.2 error. Never leaks a stack or an internal message. Given the
 * raw request, a client that went away mid-request is told apart from a dependency failure (isClientAbort).
 */
export function toOAuthError(err: unknown, requestId: string, raw?: IncomingMessage): OAuthError {
  if (err instanceof OAuthError) return err;
  if (raw !== undefined && isClientAbort(err, raw)) return CLIENT_ABORTED;
  if (isDependencyFailure(err)) return OAuthError.temporarilyUnavailable('A backing service is unavailable, retry later', 2);
  const fe = err as Partial<FastifyError> | null;
  const code = typeof fe?.code === 'string' ? fe.code : '';
  if (code === 'FST_ERR_BAD_URL') return OAuthError.invalidRequest('The request URL is malformed');
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new OAuthError('invalid_request', 'The request body is larger than 64 KiB', 413);
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return OAuthError.invalidRequest('Unsupported content type');
  if (code.startsWith('FST_ERR_CTP') || code === 'FST_ERR_VALIDATION') return OAuthError.invalidRequest('The request is malformed');
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) return new OAuthError('invalid_request', 'The request is malformed', status === 404 ? 404 : 400);
  return OAuthError.serverError(requestId);
}

export function sendOAuthError(reply: FastifyReply, err: OAuthError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  // RFC 6749 §5.1 asks for no-store on token responses; errors of those endpoints must not be cached either.
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  return reply.code(err.status).type('application/json; charset=utf-8').send(err.toJSON());
}

/**
 * Logs what is unexpected (a 5xx answer) with the request id, never to the client. A client that went away is
 * routine (a mobile network, a timeout on its side, a request cut off at its deadline): debug at most, or a
 * script that aborts a thousand uploads would log a thousand false outages.
 */
export function logServerError(logger: Logger, err: unknown, oauth: OAuthError, requestId: string, deps?: Dependencies): void {
  if (oauth === CLIENT_ABORTED) {
    logger.debug({ reqId: requestId, code: (err as { code?: unknown }).code }, 'the connection closed before the request was complete');
    return;
  }
  if (oauth.status < 500) return;
  // An outage is logged once per state change, not once per request with a stack trace (issue 21): the
  // database here (a background ping notices its return), Redis, JWKS hosts and identity providers where they
  // are called (redis/connection.ts, observability/outage-log.ts). A 503 the OAuth layer raised on purpose
  // (an upstream down, the KDF queue full) was logged, or counted, where it was decided.
  if (oauth.code === 'temporarily_unavailable') {
    if (deps && isDependencyFailure(err)) deps.outages.failed('database', {}, publicFailureReason(err), { run: () => deps.store.ping(), everyMs: DATABASE_PROBE_MS });
    else logger.debug({ reqId: requestId, err: err instanceof Error ? err.message : String(err) }, 'answered 503 temporarily_unavailable');
    return;
  }
  logger.error({ reqId: requestId, err: err instanceof Error ? { type: err.name, message: err.message, stack: err.stack } : String(err) }, oauth.code === 'server_error' ? 'unexpected error' : 'dependency unavailable');
}

/**
 * Fastify's error handler: log what is unexpected (with the request id) to Tessera's logger, answer with the
 * §5.2 shape. The logger is passed in rather than taken from request.log: Fastify has no logger unless request
 * logging is on (app.ts).
 */
export function errorHandlerFor(logger: Logger, deps?: Dependencies): (err: unknown, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (err, request, reply) => {
    const oauth = toOAuthError(err, request.id, request.raw);
    logServerError(logger, err, oauth, request.id, deps);
    recordThrottleRefusal(request, err);
    return sendOAuthError(reply, oauth);
  };
}

/**
 * Fastify's clientErrorHandler: a request Node's HTTP parser rejects (a malformed request line or header, headers
 * over Node's size limit) or that missed its deadline (config http.headersTimeoutMs / requestTimeoutMs, a body
 * still arriving included) never reaches a route, or is cut off in one, and Node and Fastify answer it with
 * bodies of their own. Tessera answers with the §5.2 shape like every other error, then closes the connection as
 * Node does: the parser cannot find the next request in a stream it could not parse.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, description] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'The request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'The request headers are too large']
        : [400, 'The request is not valid HTTP/1.1'];
  // As Node itself: nothing goes into a response already under way (a route that answered before the body it
  // did not need had arrived); the connection is closed all the same.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const body = JSON.stringify(new OAuthError('invalid_request', description, status).toJSON());
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nPragma: no-cache\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
