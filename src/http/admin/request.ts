import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AdminValidationError } from '../../admin/problems.js';
import { AdminHttpError } from './problem.js';

/**
 * The JSON object a write carries. Anything else is malformed (400): a body in another content type, one that
 * does not parse, or JSON that is not an object. A field's value is then src/admin's to judge (422).
 */
export function jsonObject(request: FastifyRequest, types: readonly string[] = ['application/json']): Record<string, unknown> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!types.includes(type)) throw new AdminHttpError(400, `The request body must be ${types.join(' or ')}`);
  const raw = typeof request.body === 'string' ? request.body : '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new AdminHttpError(400, 'The request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AdminHttpError(400, 'The request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** Fields a request may not name, each refused with the reason, as field problems (422). */
export function refuseFields(body: Record<string, unknown>, refused: Record<string, string>): void {
  const problems = Object.keys(refused)
    .filter((name) => Object.hasOwn(body, name))
    .map((name) => ({ path: name, message: refused[name]! }));
  if (problems.length > 0) throw new AdminValidationError(problems);
}

/** A strong entity tag (RFC 9110 §8.8.3) of a representation: its content's hash, so any change changes it. */
export function etagOf(representation: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(representation)).digest('base64url').slice(0, 27)}"`;
}

/**
 * RFC 9110 §13.1.1: If-Match holds when it is `*` (the resource exists: it does, or the caller would have had a
 * 404) or lists the current tag (strong comparison: a weak tag never matches). Absent, the write goes ahead.
 */
export function checkIfMatch(request: FastifyRequest, current: string): void {
  const header = request.headers['if-match'];
  if (header === undefined) return;
  const tags = header.split(',').map((t) => t.trim());
  if (tags.includes('*') || tags.includes(current)) return;
  throw new AdminHttpError(412, 'The resource has changed since it was read (If-Match does not match its ETag)');
}

/** `limit` 1-200 (default 50) and the opaque cursor (the last id of the previous page, base64url). */
export function pageOf(request: FastifyRequest): { limit: number; after?: string } {
  const q = request.query as Record<string, unknown>;
  let limit = 50;
  if (q.limit !== undefined) {
    if (typeof q.limit !== 'string' || !/^\d{1,3}$/.test(q.limit) || Number(q.limit) < 1 || Number(q.limit) > 200) throw new AdminHttpError(400, 'limit must be an integer from 1 to 200');
    limit = Number(q.limit);
  }
  if (q.cursor === undefined) return { limit };
  const after = typeof q.cursor === 'string' && /^[A-Za-z0-9_-]+$/.test(q.cursor) ? Buffer.from(q.cursor, 'base64url').toString('utf8') : '';
  if (after === '' || Buffer.from(after, 'utf8').toString('base64url') !== q.cursor) throw new AdminHttpError(400, 'cursor is not one this API gave');
  return { limit, after };
}

export const cursorAfter = (lastId: string): string => Buffer.from(lastId, 'utf8').toString('base64url');
