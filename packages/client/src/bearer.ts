import { VerificationError } from './verification-error.js';
import type { TokenVerifier, VerifiedToken } from './verifier.js';
import type { ClientCertificateInput } from './mtls.js';

export interface BearerAuthOptions {
  verifier: TokenVerifier;
  /** Scopes this route (or group of routes) needs, on top of the verifier's. */
  requiredScopes?: readonly string[];
  /** The `realm` of the challenge (RFC 6750 §3). Default: the verifier's issuer. */
  realm?: string;
  /**
   * A header in which a TLS-terminating proxy forwards the client certificate (PEM, URL-encoded PEM or base64 DER),
   * for certificate-bound tokens (RFC 8705) when TLS does not end here. Only when that proxy always overwrites it.
   */
  certificateHeader?: string;
  /**
   * The resource server's external base URL (scheme and host, e.g. https://api.example) for DPoP's htu check.
   * Default: the request's protocol and Host header; set it behind a proxy that changes either.
   */
  publicUrl?: string;
}

/** What the middleware reads of a request (Fastify, Express, node:http). */
export interface RequestFacts {
  headers: Record<string, string | string[] | undefined>;
  method: string;
  /** Path and query as received. */
  url: string;
  /** 'http' or 'https' (Fastify's and Express's request.protocol); default http. */
  protocol?: string;
  /** The TLS client certificate (connection or trusted header), for certificate-bound tokens (RFC 8705). */
  clientCertificate?: ClientCertificateInput;
  /** Node's rawHeaders (name, value, ...): how a repeated Authorization header is seen (Node keeps only the first). */
  rawHeaders?: readonly string[];
}

/** An HTTP answer that refuses a request: status, headers and a small JSON body. */
export interface BearerRefusal {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type BearerOutcome = { ok: true; token: VerifiedToken } | { ok: false; refusal: BearerRefusal };

/** RFC 6750 §2.1 b64token after "Bearer" and one or more spaces. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** RFC 6750 §3: attribute values are quoted-strings without `"` or `\`; descriptions are limited to %x20-7E. */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x7E]|["\\]/g, '')}"`;
}

export function challenge(realm: string, err?: VerificationError): string {
  const parts = [`realm=${quoted(realm)}`];
  if (err) {
    parts.push(`error=${quoted(err.error)}`, `error_description=${quoted(err.error_description)}`);
    if (err.scope && err.scope.length > 0) parts.push(`scope=${quoted(err.scope.join(' '))}`);
  }
  return `Bearer ${parts.join(', ')}`;
}

/** RFC 9449 §7.1: the DPoP scheme's challenge, with the algorithms proofs may use (and `scope`, RFC 6750 §3). */
export function dpopChallenge(algs: readonly string[], err?: VerificationError): string {
  const parts: string[] = [];
  if (err) parts.push(`error=${quoted(err.error)}`, `error_description=${quoted(err.error_description)}`);
  if (err?.scope && err.scope.length > 0) parts.push(`scope=${quoted(err.scope.join(' '))}`);
  parts.push(`algs=${quoted(algs.join(' '))}`);
  return `DPoP ${parts.join(', ')}`;
}

const DPOP_ERRORS = new Set(['invalid_dpop_proof', 'use_dpop_nonce']);

/** The schemes a resource takes (verifyRequest: DPoP always, Bearer unless dpop.required) and the one a request used. */
interface Schemes {
  algs: readonly string[];
  bearerAccepted: boolean;
  dpopRequest: boolean;
}

function refusal(realm: string, err: VerificationError | undefined, schemes?: Schemes): BearerRefusal {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  const status = err?.status ?? 401;
  const body = err ? JSON.stringify({ error: err.error, error_description: err.error_description }) : undefined;
  if (err?.error === 'temporarily_unavailable') {
    headers['retry-after'] = '5';
    return { status, headers, body: body! };
  }
  // RFC 9449 §7.1: a request in the DPoP scheme, a failed DPoP check, or a resource that takes DPoP only is
  // answered with the DPoP challenge (and DPoP-Nonce when a nonce is needed, §9).
  if (schemes && (schemes.dpopRequest || !schemes.bearerAccepted || (err && DPOP_ERRORS.has(err.error)))) {
    headers['www-authenticate'] = dpopChallenge(schemes.algs, err);
    if (err?.nonce !== undefined) headers['dpop-nonce'] = err.nonce;
    return { status, headers, body: body ?? JSON.stringify({ error_description: 'A DPoP-bound access token is required' }) };
  }
  // RFC 6750 §3.1: a request without credentials gets the challenge but no error code. A 401 of a resource that
  // also takes DPoP names both schemes (RFC 9449 §7.2, RFC 9110 §11.6.1), so a client holding a DPoP-bound token
  // learns which scheme to use; a DPoP request's answer above does not name Bearer (no invitation to downgrade).
  headers['www-authenticate'] = schemes && status === 401 ? `${challenge(realm, err)}, ${dpopChallenge(schemes.algs)}` : challenge(realm, err);
  return { status, headers, body: body ?? JSON.stringify({ error_description: 'A bearer access token is required' }) };
}

/** How many times a header name occurs in Node's rawHeaders (name, value, name, value, ...). */
function occurrences(rawHeaders: readonly string[], name: string): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.length === name.length && rawHeaders[i]!.toLowerCase() === name) n++;
  return n;
}

/** A token verified earlier in the same request (e.g. by a plugin) checked against a route's further scopes. */
export function checkScopes(token: VerifiedToken, opts: BearerAuthOptions): BearerOutcome {
  const required = opts.requiredScopes ?? [];
  if (required.every((s) => token.scopes.includes(s))) return { ok: true, token };
  const err = new VerificationError('insufficient_scope', `The access token needs scope: ${required.join(' ')}`, required);
  // A DPoP-bound token was presented in the DPoP scheme (verifyRequest refuses it as Bearer): answer in that scheme.
  const schemes = token.jkt === undefined ? undefined : { algs: opts.verifier.dpopAlgorithms, bearerAccepted: !opts.verifier.dpopRequired, dpopRequest: true };
  return { ok: false, refusal: refusal(opts.realm ?? opts.verifier.issuer, err, schemes) };
}

/**
 * The URL the client called (a DPoP proof's htu): publicUrl, or the request's protocol and Host, and the target.
 * An absolute-form target (RFC 9112 §3.2.2) is the URL itself, its origin replaced by publicUrl when that is set.
 */
function requestUrl(request: RequestFacts, opts: BearerAuthOptions): string {
  const base = opts.publicUrl?.replace(/\/+$/, '');
  if (!request.url.startsWith('/')) {
    const absolute = URL.canParse(request.url) ? new URL(request.url) : undefined;
    if (absolute === undefined) return request.url; // checkDpopProof answers invalid_request
    return base === undefined ? absolute.href : `${base}${absolute.pathname}${absolute.search}`;
  }
  const host = request.headers.host;
  return `${base ?? `${request.protocol ?? 'http'}://${typeof host === 'string' ? host : 'localhost'}`}${request.url}`;
}

/**
 * Verifies a request's Bearer or DPoP credentials (verifier.verifyRequest) and says how to answer when they are
 * refused: RFC 6750 challenges for bearer requests, RFC 9449 DPoP challenges (and DPoP-Nonce) for DPoP ones.
 */
export async function authenticateRequest(request: RequestFacts, opts: BearerAuthOptions): Promise<BearerOutcome> {
  const realm = opts.realm ?? opts.verifier.issuer;
  const authorization = request.headers.authorization;
  const schemes: Schemes = { algs: opts.verifier.dpopAlgorithms, bearerAccepted: !opts.verifier.dpopRequired, dpopRequest: typeof authorization === 'string' && /^dpop(\s|$)/i.test(authorization) };
  // RFC 6750 §3.1 invalid_request: Node keeps only the first of two Authorization headers; rawHeaders shows both.
  if (request.rawHeaders !== undefined && occurrences(request.rawHeaders, 'authorization') > 1) {
    return { ok: false, refusal: refusal(realm, new VerificationError('invalid_request', 'More than one Authorization header'), schemes) };
  }
  // No credentials of either scheme (none, or another scheme such as Basic): the bare challenge(s) (RFC 6750 §3.1).
  if (authorization === undefined || (typeof authorization === 'string' && !/^(bearer|dpop)(\s|$)/i.test(authorization))) {
    return { ok: false, refusal: refusal(realm, undefined, schemes) };
  }
  try {
    const token = await opts.verifier.verifyRequest(
      { authorization, dpop: request.headers.dpop, method: request.method, url: requestUrl(request, opts), ...(request.clientCertificate !== undefined ? { clientCertificate: request.clientCertificate } : {}) },
      opts.requiredScopes ? { requiredScopes: opts.requiredScopes } : {},
    );
    return { ok: true, token };
  } catch (err) {
    if (err instanceof VerificationError) return { ok: false, refusal: refusal(realm, err, schemes) };
    throw err;
  }
}

/** Reads the Authorization header, verifies the bearer token, and says how to answer when it is refused. */
export async function authenticateBearer(authorization: string | readonly string[] | undefined, opts: BearerAuthOptions, clientCertificate?: ClientCertificateInput): Promise<BearerOutcome> {
  const realm = opts.realm ?? opts.verifier.issuer;
  const value = authorization;
  if (typeof value !== 'string' && value !== undefined) return { ok: false, refusal: refusal(realm, new VerificationError('invalid_request', 'More than one Authorization header')) };
  if (typeof value !== 'string' || value === '' || !/^bearer(\s|$)/i.test(value)) return { ok: false, refusal: refusal(realm, undefined) };
  const match = BEARER.exec(value);
  if (!match) return { ok: false, refusal: refusal(realm, new VerificationError('invalid_request', 'Malformed Bearer authorization header')) };
  try {
    const token = await opts.verifier.verify(match[1]!, { ...(opts.requiredScopes ? { requiredScopes: opts.requiredScopes } : {}), ...(clientCertificate !== undefined ? { clientCertificate } : {}) });
    return { ok: true, token };
  } catch (err) {
    if (err instanceof VerificationError) return { ok: false, refusal: refusal(realm, err) };
    throw err;
  }
}
