import { OAuthError, OAuthProtocolError, OAuthTimeoutError } from './errors.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface RetryOptions {
  /** Retries after the first attempt (0 disables retrying). Default 3. */
  maxRetries?: number;
  /** First backoff step; doubles per attempt. Default 250 ms. */
  baseDelayMs?: number;
  /** Upper bound of one wait. A Retry-After longer than this is not waited for: the error is thrown. Default 10 s. */
  maxDelayMs?: number;
}

export interface HttpSettings {
  fetch: FetchLike;
  timeoutMs: number;
  retry: Required<RetryOptions>;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  requestId: string | undefined;
  /** The parsed JSON body; undefined when the body was empty. */
  body: unknown;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { maxRetries: 3, baseDelayMs: 250, maxDelayMs: 10_000 };

/** Statuses that say "the same request may succeed later": RFC 6585 §4 and RFC 9110 §15.6.4. */
const RETRYABLE = new Set([429, 503]);

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date. Returns milliseconds, or undefined when absent/unusable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/^[A-Za-z]{3,9},? /.test(trimmed)) return undefined; // IMF-fixdate (and the obsolete forms) start with a day name
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * How long to wait before retry number `attempt` (0-based), or undefined to give up.
 * With Retry-After: that long plus a little jitter so that many clients do not return in the same instant.
 * Without: "equal jitter" exponential backoff, half fixed and half random, capped by maxDelayMs.
 */
export function retryDelay(attempt: number, retryAfterMs: number | undefined, retry: Required<RetryOptions>, random = Math.random): number | undefined {
  if (attempt >= retry.maxRetries) return undefined;
  const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
  if (retryAfterMs !== undefined) {
    if (retryAfterMs > retry.maxDelayMs) return undefined;
    return Math.min(retry.maxDelayMs, retryAfterMs + random() * Math.min(retry.baseDelayMs, backoff));
  }
  return backoff / 2 + random() * (backoff / 2);
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One attempt, bounded by timeoutMs (covering the body too) and by the caller's signal. */
async function attempt(http: HttpSettings, url: string, req: HttpRequest, signal: AbortSignal | undefined): Promise<HttpResult> {
  if (signal?.aborted) throw abortError(signal);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, http.timeoutMs);
  const onAbort = () => controller.abort(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await http.fetch(url, { method: req.method, headers: req.headers, body: req.body, signal: controller.signal, redirect: 'error' });
    const text = await res.text();
    const requestId = res.headers.get('x-request-id') ?? undefined;
    let body: unknown;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        if (res.ok) throw new OAuthProtocolError(`${url} answered ${res.status} with a body that is not JSON`, res.status, requestId);
        body = undefined;
      }
    }
    return { status: res.status, headers: res.headers, requestId, body };
  } catch (err) {
    if (timedOut) throw new OAuthTimeoutError(url, http.timeoutMs);
    if (signal?.aborted) throw abortError(signal);
    throw err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Connection errors that happen before a request is written (refused, no route, name not resolved, connect
 * timeout, a certificate refused by TLS): the server cannot have acted on it, so sending it again is safe.
 */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Whether a failed request may nevertheless have reached the server and been acted on: a timeout, a connection
 * that broke after connecting (reset, closed mid-answer), a 2xx whose body could not be read. fetch reports
 * network failures as a TypeError whose `cause` carries the code (Node's undici); without a known "never sent"
 * code (browsers give none) the answer is yes. Answers of the server (OAuthError) and aborts are not this.
 */
export function requestMayHaveArrived(err: unknown): boolean {
  if (err instanceof OAuthTimeoutError) return true;
  if (err instanceof OAuthProtocolError) return err.status >= 200 && err.status <= 299;
  if (!(err instanceof TypeError)) return false;
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return true;
  return !(NEVER_SENT.has(code) || /^ERR_TLS_|CERT|SELF_SIGNED/.test(code));
}

/** Turns a non-2xx answer into an OAuthError (RFC 6749 §5.2 shape) or an OAuthProtocolError. */
export function errorFrom(url: string, result: HttpResult): Error {
  const b = result.body as Record<string, unknown> | undefined;
  const retryAfterMs = parseRetryAfter(result.headers.get('retry-after'));
  if (b && typeof b === 'object' && typeof b.error === 'string') {
    return new OAuthError({
      error: b.error,
      error_description: typeof b.error_description === 'string' ? b.error_description : undefined,
      error_uri: typeof b.error_uri === 'string' ? b.error_uri : undefined,
      status: result.status,
      requestId: result.requestId,
      retryAfter: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
    });
  }
  if (RETRYABLE.has(result.status)) {
    // A proxy's 429/503 without an OAuth body: still a typed, retryable error.
    return new OAuthError({
      error: result.status === 429 ? 'too_many_requests' : 'temporarily_unavailable',
      status: result.status,
      requestId: result.requestId,
      retryAfter: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
    });
  }
  return new OAuthProtocolError(`${url} answered HTTP ${result.status} without an OAuth error body`, result.status, result.requestId);
}

/**
 * Sends a request, retrying 429 and 503 as the server asks (Retry-After) or with jittered backoff, a bounded
 * number of times. `build` runs once per attempt, so one-time values (a client assertion's jti) are fresh.
 * Resolves with any non-retryable answer (2xx or error): the caller decides what an error means. `observe` sees
 * every answer, the retried ones too, before the next `build` (e.g. to keep a DPoP-Nonce for the next proof).
 */
export async function send(http: HttpSettings, url: string, build: () => Promise<HttpRequest> | HttpRequest, signal?: AbortSignal, observe?: (result: HttpResult) => void): Promise<HttpResult> {
  for (let n = 0; ; n++) {
    const result = await attempt(http, url, await build(), signal);
    observe?.(result);
    if (!RETRYABLE.has(result.status)) return result;
    const delay = retryDelay(n, parseRetryAfter(result.headers.get('retry-after')), http.retry);
    if (delay === undefined) return result;
    await sleep(delay, signal);
  }
}
