import type { FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors.js';
import { CREDENTIAL_PARAMETERS, parseForm, type TokenRequest } from '../oauth/token-request.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The raw body text, kept for authenticators that sign the exact bytes. */
    rawBody?: string;
  }
}

const FORM = 'application/x-www-form-urlencoded';

export function contentTypeOf(request: FastifyRequest): string {
  const ct = request.headers['content-type'];
  if (ct === FORM) return FORM;
  return typeof ct === 'string' ? ct.split(';')[0]!.trim().toLowerCase() : '';
}

export function rawQueryOf(request: FastifyRequest): string {
  const i = request.url.indexOf('?');
  return i === -1 ? '' : request.url.slice(i + 1);
}

export function pathOf(request: FastifyRequest): string {
  const i = request.url.indexOf('?');
  return i === -1 ? request.url : request.url.slice(0, i);
}

/** RFC 6749 §2.3.1 / §3.2: credentials never in the URL. */
export function rejectCredentialsInQuery(request: FastifyRequest): void {
  const q = rawQueryOf(request);
  if (q === '') return;
  for (const pair of q.split('&')) {
    const name = pair.split('=')[0] ?? '';
    let decoded: string;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      throw OAuthError.invalidRequest('The request URL is malformed');
    }
    if (CREDENTIAL_PARAMETERS.has(decoded)) throw OAuthError.invalidRequest('Credentials and grant parameters must be sent in the request body, not the URL');
  }
}

/** A form POST to one of the OAuth endpoints, turned into the core's TokenRequest. */
export function formTokenRequest(request: FastifyRequest): TokenRequest {
  rejectCredentialsInQuery(request);
  if (contentTypeOf(request) !== FORM) {
    throw OAuthError.invalidRequest('The request body must be application/x-www-form-urlencoded');
  }
  const raw = request.rawBody ?? '';
  return {
    params: parseForm(raw),
    authorization: request.headers.authorization,
    headers: request.headers,
    method: request.method,
    path: pathOf(request),
    rawQuery: rawQueryOf(request),
    rawBody: raw,
    ip: request.ip,
    requestId: request.id,
    // RFC 8705: undefined unless this server has a TLS listener or a certificate header (http/client-certificate.ts).
    clientCertificate: request.server.clientCertificates?.of(request),
  };
}
