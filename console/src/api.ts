import { accessToken, endSession, refresh } from './session.js';

/** One problem of an RFC 9457 answer of the admin API: the field (`errors[].path`) and the CLI's message. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** A refused admin API call, from its problem details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldProblem[] = [],
  ) {
    super(message);
  }
  /** The message of the field `path`, for showing next to that field. */
  field(path: string): string | undefined {
    return this.errors.find((e) => e.path === path || e.path.startsWith(path + '.') || e.path.startsWith(path + '['))?.message;
  }
}

export interface Answer<T> {
  status: number;
  data: T;
  etag: string | null;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

/**
 * A call with the operator's bearer token. A 401 means the token was refused: one refresh is tried (the access
 * token may have just expired), and if that fails the session ends and the sign-in shows.
 */
async function send(method: string, url: string, body: unknown, contentType: string, retry = true): Promise<Response> {
  const token = accessToken();
  if (!token) throw new ApiError(401, 'Not signed in');
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = contentType;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, credentials: 'omit', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch {
    throw new ApiError(0, 'The server could not be reached.');
  }
  if (res.status === 401 && retry) {
    if (await refresh()) return send(method, url, body, contentType, false);
    throw new ApiError(401, 'Your session has ended.');
  }
  if (res.status === 401) {
    endSession('Your session was ended (revoked or expired). Sign in again.');
    throw new ApiError(401, 'Your session has ended.');
  }
  return res;
}

export async function call<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer<T>> {
  const res = await send(method, path.startsWith('/') ? path : `/admin/v1/${path}`, body, contentType);
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const p = (data ?? {}) as { title?: string; detail?: string; errors?: FieldProblem[] };
    throw new ApiError(res.status, p.detail ?? p.title ?? `${res.status} ${res.statusText}`, Array.isArray(p.errors) ? p.errors : []);
  }
  return { status: res.status, data: data as T, etag: res.headers.get('etag') };
}

export const get = <T>(path: string) => call<T>('GET', path).then((a) => a.data);
export const post = <T>(path: string, body?: unknown) => call<T>('POST', path, body).then((a) => a.data);
export const patch = <T>(path: string, body: unknown) => call<T>('PATCH', path, body, 'application/merge-patch+json').then((a) => a.data);
export const del = (path: string) => call<null>('DELETE', path).then(() => undefined);

/** The metrics text (Prometheus exposition format), scraped with the same token. */
export async function scrapeMetrics(): Promise<string> {
  const res = await send('GET', '/metrics', undefined, '');
  if (!res.ok) throw new ApiError(res.status, res.status === 404 ? 'Metrics are switched off on this server (metrics.enabled).' : `The metrics answered ${res.status}`);
  return res.text();
}

export const enc = encodeURIComponent;
