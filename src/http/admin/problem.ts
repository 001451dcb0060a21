import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AdminError, AdminValidationError, type Problem } from '../../admin/problems.js';
import { ConflictError, isDependencyFailure, VersionConflictError } from '../../store/errors.js';
import { isClientAbort } from '../errors.js';

/**
 * An admin API refusal as RFC 9457 problem details. `type` is about:blank (§4.2.1: the status says it all), the
 * title the status's; `errors` lists field problems with the same paths and messages as the CLI and the import
 * document (admin/problems.ts), so every management surface explains one mistake the same way.
 */
export class AdminHttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: readonly Problem[],
  ) {
    super(detail);
    this.name = 'AdminHttpError';
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The problem details for anything a route threw: never a stack or an internal message. */
export function toAdminHttpError(err: unknown, raw: FastifyRequest['raw']): AdminHttpError {
  if (err instanceof AdminHttpError) return err;
  if (err instanceof AdminValidationError) return new AdminHttpError(422, 'The request breaks one or more rules; see errors', {}, err.problems);
  if (err instanceof AdminError) return new AdminHttpError(err.kind === 'not_found' ? 404 : 409, err.message);
  // A taken id (the store's unique constraint): the same answer as the CLI's "already exists".
  if (err instanceof ConflictError) return new AdminHttpError(409, err.message);
  // A compare-and-set write lost to another writer (on this node or another) holding the same ETag.
  if (err instanceof VersionConflictError) return new AdminHttpError(412, 'The resource has changed since it was read (If-Match does not match its ETag)');
  if (isClientAbort(err, raw)) return new AdminHttpError(400, 'The connection closed before the request was complete');
  if (isDependencyFailure(err)) return new AdminHttpError(503, 'A backing service is unavailable, retry later', { 'retry-after': '2' });
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new AdminHttpError(413, 'The request body is larger than 64 KiB');
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return new AdminHttpError(status === 404 ? 404 : 400, 'The request is malformed');
  return new AdminHttpError(500, 'Internal error');
}

export function sendProblem(reply: FastifyReply, e: AdminHttpError): FastifyReply {
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  reply.header('cache-control', 'no-store');
  const body = { type: 'about:blank', title: TITLES[e.status] ?? 'Error', status: e.status, detail: e.detail, ...(e.errors ? { errors: e.errors } : {}) };
  return reply.code(e.status).type('application/problem+json').send(JSON.stringify(body));
}

/** The admin API's error handler: problem details, and a log line (with the request id) for a 5xx only. */
export function adminErrorHandler(logger: Logger) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const e = toAdminHttpError(err, request.raw);
    if (e.status >= 500) logger.error({ err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err), requestId: request.id }, 'admin API request failed');
    return sendProblem(reply, e);
  };
}
