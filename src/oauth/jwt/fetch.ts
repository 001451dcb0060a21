import { OAuthError } from '../errors.js';
import { activeSpan, injectTraceHeaders, inSpan, SpanKind, tracingOn } from '../../observability/tracing.js';

/** Upper bound on any remote document (JWKS, introspection response): a provider cannot make us buffer more. */
const MAX_BODY_BYTES = 256 * 1024;

export interface RemoteResponse {
  status: number;
  headers: Headers;
  json: unknown;
}

export interface RemoteRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Named in the 503 description, e.g. "the identity provider google". Never a URL with credentials. */
  what: string;
  /** Told why a call failed (for the operator's log); never given the URL's query or a token. */
  onFailure?: (reason: string) => void;
  /** Told the remote party answered below 500 (an outage log records that it is back: observability/outage-log.ts). */
  onAnswer?: () => void;
}

/** Seconds a client should wait before retrying after a remote failure (Retry-After). */
export const REMOTE_RETRY_AFTER = 5;

export function remoteUnavailable(what: string): OAuthError {
  return OAuthError.temporarilyUnavailable(`${what} is unavailable, retry later`, REMOTE_RETRY_AFTER);
}

async function readLimited(res: Response, signal: AbortSignal): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw new Error('response too large');
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    if (signal.aborted) throw new Error('timed out');
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new Error('response too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One bounded HTTP exchange with a remote party (JWKS, RFC 7662 endpoint, Facebook debug_token). The whole exchange
 * (connect, headers, body) shares one AbortSignal.timeout, redirects are refused, and the body is capped. A network
 * failure, a timeout, a 5xx, or a body that is not JSON becomes 503 temporarily_unavailable with Retry-After: the
 * caller's user did nothing wrong and a retry may succeed. 4xx answers are returned to the caller to interpret.
 */
export function fetchJson(url: string, req: RemoteRequest): Promise<RemoteResponse> {
  if (!tracingOn()) return fetchJsonNow(url, req);
  // A client span per upstream call; its traceparent goes out with the request (W3C Trace Context) so the
  // identity provider's own traces join ours. The URL is named without its query.
  const u = new URL(url);
  return inSpan(
    `${req.method ?? 'GET'} ${u.host}`,
    { 'http.request.method': req.method ?? 'GET', 'server.address': u.hostname, 'url.full': `${u.origin}${u.pathname}`, 'tessera.upstream': req.what },
    () => fetchJsonNow(url, { ...req, headers: injectTraceHeaders({ ...(req.headers ?? {}) }) }).then((res) => {
      activeSpan()?.setAttribute('http.response.status_code', res.status);
      return res;
    }),
    SpanKind.CLIENT,
  );
}

async function fetchJsonNow(url: string, req: RemoteRequest): Promise<RemoteResponse> {
  const signal = AbortSignal.timeout(req.timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: req.method ?? 'GET',
      headers: { accept: 'application/json', ...(req.headers ?? {}) },
      ...(req.body !== undefined ? { body: req.body } : {}),
      redirect: 'error',
      signal,
    });
    text = await readLimited(res, signal);
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { code?: string } };
    req.onFailure?.(signal.aborted ? `no answer within ${req.timeoutMs} ms` : (e.cause?.code ?? e.message ?? 'network error'));
    throw remoteUnavailable(req.what);
  }
  if (res.status >= 500 || res.status === 429) {
    req.onFailure?.(`HTTP ${res.status}`);
    throw remoteUnavailable(req.what);
  }
  req.onAnswer?.();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // A 4xx with an HTML body is still an answer the caller can interpret by status; a 2xx that is not JSON is garbage.
    if (res.status >= 400) return { status: res.status, headers: res.headers, json: undefined };
    req.onFailure?.('the response is not JSON');
    throw remoteUnavailable(req.what);
  }
  return { status: res.status, headers: res.headers, json };
}

/**
 * Seconds a response may be cached per its Cache-Control (RFC 9111 §5.2.2): max-age minus Age; no-store/no-cache
 * -> 0. Undefined when the header says nothing about freshness.
 */
export function cacheLifetime(headers: Headers): number | undefined {
  const cc = headers.get('cache-control');
  if (!cc) return undefined;
  const directives = cc.toLowerCase().split(',').map((d) => d.trim());
  if (directives.some((d) => d === 'no-store' || d === 'no-cache')) return 0;
  for (const d of directives) {
    const m = /^max-age\s*=\s*"?(\d{1,10})"?$/.exec(d);
    if (m) {
      const age = Number(headers.get('age') ?? '0');
      return Math.max(0, Number(m[1]) - (Number.isFinite(age) ? age : 0));
    }
  }
  return undefined;
}

/** Provider URLs must be https, except loopback (tests, sidecars) or when the operator says so explicitly. */
export function isAllowedUrl(raw: string, allowInsecureHttp: boolean): boolean {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return false;
  }
  if (u.username || u.password || u.hash) return false;
  if (u.protocol === 'https:') return true;
  if (u.protocol !== 'http:') return false;
  return allowInsecureHttp || isLoopbackHost(u.hostname);
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
