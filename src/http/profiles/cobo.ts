import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { OAuthError } from '../../oauth/errors.js';
import { CREDENTIAL_PARAMETERS, parseForm, safeName, type TokenRequest } from '../../oauth/token-request.js';
import { hasSignatureHeaders } from '../../oauth/client-auth/request-signature.js';
import { contentTypeOf, pathOf, rawQueryOf, rejectCredentialsInQuery } from '../form.js';
import { topLevelMemberCount } from '../json-keys.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { addTokenEndpointVariant, serveTokenRequest } from '../routes/token.js';
import { sendOAuthError } from '../errors.js';
import { ENDPOINTS } from '../../endpoints.js';

/**
 * Cobo WaaS 2 (docs/compatibility.md, "Cobo WaaS 2"): the SDK fetches an org token with a signed GET whose parameters are in the
 * query, and refreshes it with a signed JSON POST answered 201. Both become the core's TokenRequest and run
 * through the same spine as the RFC form POST; request-signature authentication is required on both.
 */

function baseRequest(request: FastifyRequest, params: Map<string, string>): TokenRequest {
  return {
    params,
    authorization: request.headers.authorization,
    headers: request.headers,
    method: request.method,
    // The path as called, prefix included: it is part of the signed string.
    path: pathOf(request),
    rawQuery: rawQueryOf(request),
    rawBody: request.rawBody ?? '',
    ip: request.ip,
    requestId: request.id,
  };
}

/** `GET /oauth/token?client_id&org_id&grant_type=org_implicit` (empty values already dropped by the SDK). */
function coboQueryTokenRequest(request: FastifyRequest): TokenRequest {
  if ((request.rawBody ?? '') !== '') throw OAuthError.invalidRequest('A GET token request has no body');
  // Same strict parsing as a form body: repeated parameters refused, empty values treated as absent (RFC 6749 §3.1).
  const params = parseForm(rawQueryOf(request));
  // The SDK's cache-buster (apiClient.cache = false); it is not signed either.
  params.delete('_');
  for (const name of params.keys()) {
    // client_id identifies the app here (the signature authenticates it); secrets never belong in a URL.
    if (name !== 'client_id' && CREDENTIAL_PARAMETERS.has(name)) {
      throw OAuthError.invalidRequest(`The ${safeName(name)} parameter must not be sent in the URL`);
    }
  }
  const grantType = params.get('grant_type');
  if (grantType !== undefined && grantType !== 'org_implicit') {
    throw OAuthError.invalidRequest('GET is accepted for grant_type=org_implicit only; use POST for other grants');
  }
  return baseRequest(request, params);
}

/** `POST /oauth/token` with `{"client_id", "grant_type": "refresh_token", "refresh_token"}` (the SDK validates nothing). */
function coboJsonTokenRequest(request: FastifyRequest): TokenRequest {
  rejectCredentialsInQuery(request);
  if (contentTypeOf(request) !== 'application/json') throw OAuthError.invalidRequest('The request body must be application/json');
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody ?? '');
  } catch {
    throw OAuthError.invalidRequest('The request body is not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw OAuthError.invalidRequest('The request body must be a JSON object');
  // RFC 6749 §3.2, as for a form body: JSON.parse would silently keep the last of two equal names.
  if (topLevelMemberCount(request.rawBody ?? '') !== Object.keys(body).length) throw OAuthError.invalidRequest('A parameter is repeated in the request body');
  const params = new Map<string, string>();
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value !== 'string') throw OAuthError.invalidRequest(`The ${safeName(name)} parameter must be a string`);
    // As in a form body (RFC 6749 §3.1), an empty value is an absent one.
    if (value !== '') params.set(name, value);
  }
  const grantType = params.get('grant_type');
  if (grantType !== undefined && grantType !== 'refresh_token') {
    throw OAuthError.invalidRequest('A JSON token request is accepted for grant_type=refresh_token only');
  }
  return baseRequest(request, params);
}

const signatureRequired = () =>
  OAuthError.invalidSignature('this endpoint requires request-signature authentication (BIZ-API-KEY, BIZ-API-NONCE, BIZ-API-SIGNATURE)');

const serveGet = (ctx: OAuthContext) => (request: FastifyRequest, reply: FastifyReply) => serveTokenRequest(request, reply, ctx, coboQueryTokenRequest, 200);
// Cobo documents 201 for the refresh; the SDK accepts any 2xx.
const servePost = (ctx: OAuthContext) => (request: FastifyRequest, reply: FastifyReply) => serveTokenRequest(request, reply, ctx, coboJsonTokenRequest, 201);

/**
 * Mounts the profile. Under a prefix (Cobo's own base is `https://host/v2`) the profile owns
 * `{prefix}/oauth/token`. At the root it shares the URL with the RFC endpoint: only requests carrying the BIZ
 * headers (a GET, or a POST with a JSON body) are Cobo's; a plain GET still gets 405 and a JSON POST without
 * them still gets the RFC endpoint's 400.
 */
export function mountCobo(app: FastifyInstance, ctx: OAuthContext, prefix: string): void {
  const url = `${prefix}${ENDPOINTS.token}`;
  if (prefix === '') {
    addTokenEndpointVariant(app, url, { method: 'GET', matches: (r) => hasSignatureHeaders(r.headers), handle: serveGet(ctx) });
    addTokenEndpointVariant(app, url, {
      method: 'POST',
      matches: (r) => hasSignatureHeaders(r.headers) && contentTypeOf(r) === 'application/json',
      handle: servePost(ctx),
    });
    return;
  }
  const get = serveGet(ctx);
  const post = servePost(ctx);
  app.get(url, { exposeHeadRoute: false, schema: { summary: 'Cobo WaaS 2 profile: org access token (signed GET)', tags: ['compatibility'] } }, async (request, reply) => {
    if (!hasSignatureHeaders(request.headers)) return sendOAuthError(reply, signatureRequired());
    return get(request, reply);
  });
  app.post(url, { schema: { summary: 'Cobo WaaS 2 profile: refresh (signed JSON POST, 201)', tags: ['compatibility'] } }, async (request, reply) => {
    if (contentTypeOf(request) !== 'application/json') return sendOAuthError(reply, OAuthError.invalidRequest('The request body must be application/json'));
    if (!hasSignatureHeaders(request.headers)) return sendOAuthError(reply, signatureRequired());
    return post(request, reply);
  });
  methodNotAllowed(app, url, ['GET', 'POST']);
}
