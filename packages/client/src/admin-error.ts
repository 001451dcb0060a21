/** One field problem: `path` names the field as the CLI does, `message` is the CLI's and the import's message. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** RFC 9457 problem details, as the admin API answers every refusal. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldProblem[];
}

/**
 * A refusal of the admin API (4xx / 5xx) carrying its RFC 9457 problem: 404 no such resource, 409 a taken id,
 * 412 a stale `If-Match`, 422 with `errors` listing every field problem. `requestId` is the server's X-Request-Id.
 */
export class AdminApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: readonly FieldProblem[];
  readonly requestId: string | undefined;

  constructor(problem: ProblemDetails, requestId?: string) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = 'AdminApiError';
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.requestId = requestId;
  }
}

/** The problem in an answer, or one made from the status when the body is not a problem (a proxy's page). */
export function problemFrom(status: number, body: unknown): ProblemDetails {
  const b = body as Partial<ProblemDetails> | undefined;
  if (b && typeof b === 'object' && typeof b.title === 'string') {
    return {
      type: typeof b.type === 'string' ? b.type : 'about:blank',
      title: b.title,
      status,
      detail: typeof b.detail === 'string' ? b.detail : b.title,
      ...(Array.isArray(b.errors) ? { errors: b.errors.filter((e): e is FieldProblem => typeof e?.path === 'string' && typeof e.message === 'string') } : {}),
    };
  }
  return { type: 'about:blank', title: `HTTP ${status}`, status, detail: `the admin API answered HTTP ${status} without problem details` };
}
