import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { handleTokenRequest } from '../../oauth/token-endpoint.js';
import type { TokenRequest } from '../../oauth/token-request.js';
import type { TokenResponse } from '../../oauth/grants/types.js';
import type { Client } from '../../store/types.js';
import '../request-log.js';
import { formTokenRequest } from '../form.js';
import { limitByClient, limitByIp } from '../rate-limit.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { corsPreflightRoute } from '../cors.js';
import { ENDPOINTS } from '../../endpoints.js';
import { CLIENT_AUTH_SECURITY, documentOnly, OAuthErrorBody, TokenRequestBody, TokenResponseBody } from '../schemas.js';
import { toOAuthError } from '../errors.js';

/** Runs one token request through the spine with rate limits, and answers RFC 6749 §5.1. Shared with compat profiles. */
export async function serveTokenRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: OAuthContext,
  build: (request: FastifyRequest) => TokenRequest,
  status = 200,
): Promise<TokenResponse> {
  try {
    const limited = limitByIp(request, reply, ctx);
    if (limited) await limited;
    const tokenRequest = build(request);
    // For the request log line and the server span (request-log.ts, tracing.ts): two property writes.
    const facts: NonNullable<FastifyRequest['tokenFacts']> = { grantType: tokenRequest.params.get('grant_type') };
    request.tokenFacts = facts;
    const afterAuth = (client: Client) => {
      facts.clientId = client.clientId;
      return limitByClient(request, reply, ctx, client);
    };
    // reply.raw: a password login's KDF still queued when the client goes gives its place up (oauth/kdf-admission.ts).
    const { response, headers } = await handleTokenRequest(tokenRequest, ctx, { afterAuth, answer: reply.raw });
    reply.code(status).header('cache-control', 'no-store').header('pragma', 'no-cache');
    if (headers !== undefined) reply.headers(headers);
    return response;
  } catch (err) {
    // tessera_token_errors_total{error}: the §5.2 code the error handler will answer with (one rule: toOAuthError).
    ctx.metrics.tokenError(toOAuthError(err, request.id, request.raw).code);
    throw err;
  }
}

/**
 * Another wire format served at the same URL as the RFC form POST (a compatibility profile mounted at the root,
 * e.g. Cobo's signed GET and JSON POST). The token route owns every method a variant may use (VARIANT_METHODS)
 * and chooses per request by `matches`; requests no variant claims get the standard behaviour (form POST, 405
 * with Allow: POST for the others), so the default endpoint stays RFC-shaped.
 */
export interface TokenEndpointVariant {
  readonly method: 'GET' | 'POST';
  matches(request: FastifyRequest): boolean;
  handle(request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

const variantsByApp = new WeakMap<FastifyInstance, Map<string, TokenEndpointVariant[]>>();

/** Adds a variant to the token endpoint at `url` (call before the app starts listening). */
export function addTokenEndpointVariant(app: FastifyInstance, url: string, variant: TokenEndpointVariant): void {
  const byUrl = variantsByApp.get(app) ?? new Map<string, TokenEndpointVariant[]>();
  variantsByApp.set(app, byUrl);
  byUrl.set(url, [...(byUrl.get(url) ?? []), variant]);
}

function variantFor(app: FastifyInstance, url: string, request: FastifyRequest): TokenEndpointVariant | undefined {
  return variantsByApp.get(app)?.get(url)?.find((v) => v.method === request.method && v.matches(request));
}

/** The methods the token route answers itself, for its variants; only POST is in Allow. */
const VARIANT_METHODS = ['GET'] as const satisfies ReadonlyArray<TokenEndpointVariant['method']>;

export function tokenRoute(app: FastifyInstance, ctx: OAuthContext, prefix = ''): void {
  const url = `${prefix}${ENDPOINTS.token}`;
  app.route({
    method: 'POST',
    url,
    schema: {
      summary: 'Token endpoint (RFC 6749 §3.2)',
      consumes: ['application/x-www-form-urlencoded'],
      security: CLIENT_AUTH_SECURITY,
      body: TokenRequestBody,
      response: { 200: TokenResponseBody, '4xx': OAuthErrorBody, '5xx': OAuthErrorBody },
    },
    validatorCompiler: documentOnly,
    handler: (request, reply) => variantFor(app, url, request)?.handle(request, reply) ?? serveTokenRequest(request, reply, ctx, formTokenRequest),
  });
  const refuse = methodNotAllowed(app, url, ['POST'], { routedByEndpoint: [...VARIANT_METHODS, 'OPTIONS'] });
  corsPreflightRoute(app, ctx, url, refuse);
  // A GET token request is no RFC 6749 request (§3.2: POST): only a variant may claim it, else 405 like any method.
  app.route({
    method: [...VARIANT_METHODS],
    url,
    exposeHeadRoute: false,
    schema: { hide: true },
    handler: (request, reply) => variantFor(app, url, request)?.handle(request, reply) ?? refuse(request, reply),
  });
}
