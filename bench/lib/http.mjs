// Small fetch helpers used for readiness probes and scenario setup
// (never for the measured load, which is autocannon's job).
import { basicAuthHeader, formBody, FORM_CONTENT_TYPE } from './constants.mjs';

/** Thrown by scenario setup / readiness when a target cannot run a scenario. */
export class SkipError extends Error {
  constructor(message) {
    super(message);
    this.name = 'SkipError';
  }
}

export async function postForm(baseUrl, path, params, { auth = basicAuthHeader(), timeoutMs = 10_000 } = {}) {
  const headers = { 'content-type': FORM_CONTENT_TYPE, accept: 'application/json' };
  if (auth) headers.authorization = auth;
  const res = await fetch(baseUrl + path, {
    method: 'POST',
    headers,
    body: formBody(params),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: Object.fromEntries(res.headers), text, json };
}

export async function getStatus(baseUrl, path, { timeoutMs = 2_000 } = {}) {
  const res = await fetch(baseUrl + path, { signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  return res.status;
}

/** Short description of an unexpected response, for SKIPPED lines. */
export function describe(res) {
  const body = res.json ? JSON.stringify(res.json) : res.text;
  return `HTTP ${res.status} ${body.length > 160 ? body.slice(0, 160) + '…' : body}`;
}

function b64urlJson(part) {
  try { return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')); } catch { return null; }
}

/** 'jwt' (with decoded header/claims) if the token is a JWS compact serialisation, else 'opaque'. */
export function classifyToken(token) {
  if (typeof token !== 'string') return { format: 'none' };
  const parts = token.split('.');
  if (parts.length === 3 && parts.every((p) => /^[A-Za-z0-9_-]*$/.test(p))) {
    const header = b64urlJson(parts[0]);
    const claims = b64urlJson(parts[1]);
    if (header && typeof header.alg === 'string' && claims) return { format: 'jwt', header, claims };
  }
  return { format: 'opaque', length: token.length };
}

/** Run async fn over items with at most `limit` in flight. */
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
