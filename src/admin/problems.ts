import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';

/**
 * One thing wrong with management input. `path` names the field: a JSON path in the import document
 * (`$.clients[2].scope`), the bare field name for one record (`scope`, as the CLI shows it), or '' for the record
 * as a whole. `message` never contains a secret the operator gave.
 */
export interface Problem {
  path: string;
  message: string;
}

/** Why a management operation was refused. `kind` decides the CLI exit code and (later) the HTTP status. */
export abstract class AdminError extends Error {
  abstract readonly kind: 'invalid' | 'not_found' | 'conflict';
}

/** The input breaks one or more rules; every problem found is listed, each with its path. */
export class AdminValidationError extends AdminError {
  readonly kind = 'invalid';
  constructor(
    readonly problems: readonly Problem[],
    heading?: string,
  ) {
    const lines = problems.map(formatProblem);
    super(heading === undefined ? lines.join('\n') : `${heading}:\n${lines.map((l) => `  ${l}`).join('\n')}`);
    this.name = 'AdminValidationError';
  }
}

/** The record the operation names does not exist. */
export class AdminNotFoundError extends AdminError {
  readonly kind = 'not_found';
  override name = 'AdminNotFoundError';
}

/** The operation does not fit the record's current state (already installed, already revoked, ...). */
export class AdminConflictError extends AdminError {
  readonly kind = 'conflict';
  override name = 'AdminConflictError';
}

export function formatProblem(p: Problem): string {
  return p.path === '' ? p.message : `${p.path}: ${p.message}`;
}

/** Throws the problems, if any, as one AdminValidationError. */
export function assertNoProblems(problems: readonly Problem[], heading?: string): void {
  if (problems.length > 0) throw new AdminValidationError(problems, heading);
}

/** The path of a field inside a record at `base` ('' for a lone record, whose fields are named bare). */
export function at(base: string, field: string | number): string {
  if (typeof field === 'number') return `${base}[${field}]`;
  return base === '' ? field : `${base}.${field}`;
}

function fromPointer(base: string, pointer: string): string {
  let path = base;
  for (const part of pointer.split('/').slice(1)) path = at(path, /^\d+$/.test(part) ? Number(part) : part);
  return path;
}

/** TypeBox's message, or a plainer one where TypeBox's says nothing useful to an operator. */
function messageOf(e: ValueError): string {
  if (e.type === ValueErrorType.ObjectRequiredProperty) return 'is required';
  if (e.type === ValueErrorType.ObjectAdditionalProperties) return 'is not a known field';
  const anyOf = (e.schema as { anyOf?: Array<{ const?: unknown }> }).anyOf;
  if (e.type === ValueErrorType.Union && anyOf?.every((s) => s.const !== undefined)) return `must be one of ${anyOf.map((s) => String(s.const)).join(', ')}`;
  return e.message;
}

/**
 * The schema problems of a value, one per path: TypeBox reports a missing property twice ("Expected required
 * property", then "Expected string") and a union once per branch, so only the first, most specific error of each
 * path is kept.
 */
export function schemaProblems(schema: TSchema, value: unknown, base: string): Problem[] {
  const byPath = new Map<string, string>();
  for (const e of Value.Errors(schema, value)) {
    const path = fromPointer(base, e.path);
    if (!byPath.has(path)) byPath.set(path, messageOf(e));
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}
