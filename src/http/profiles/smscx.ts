import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { OAuthError } from '../../oauth/errors.js';
import type { TokenRequest } from '../../oauth/token-request.js';
import { formTokenRequest } from '../form.js';
import { limitByIp, recordThrottleRefusal } from '../rate-limit.js';
import { serveTokenRequest } from '../routes/token.js';
import { logServerError, toOAuthError } from '../errors.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { ENDPOINTS } from '../../endpoints.js';

/**
 * SMSCX (docs/compatibility.md, "SMSCX"): HTTP Basic client credentials only, and SMSCX's own error body
 * `{"error": {"type", "code", "message"}}` instead of RFC 6749 §5.2. The grant itself runs through the same spine.
 */

/** SMSCX's code for every error of their /oauth/token table; 405 and 429 carry none in their table. */
const SMSCX_OAUTH_ERROR_CODE = 1600;

interface SmscxErrorBody {
  error: { type: string; code?: number; message: string };
}

function smscxErrorBody(err: OAuthError): SmscxErrorBody {
  if (err.status === 429) return { error: { type: 'rate_limit', message: err.description } };
  if (err.status === 405) return { error: { type: 'method_not_allowed', message: err.description } };
  if (err.status >= 500) return { error: { type: err.code, message: err.description } };
  return { error: { type: err.code, code: SMSCX_OAUTH_ERROR_CODE, message: err.description } };
}

function sendSmscxError(reply: FastifyReply, err: OAuthError): FastifyReply {
  // Retry-After, WWW-Authenticate; the X-Rate-Limit-* headers were set when the limit was checked.
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  return reply.code(err.status).type('application/json; charset=utf-8').send(smscxErrorBody(err));
}

/** Their table's order: a missing or foreign grant_type is reported before the client is authenticated. */
function smscxTokenRequest(request: FastifyRequest): TokenRequest {
  const req = formTokenRequest(request);
  const grantType = req.params.get('grant_type');
  if (grantType === undefined) throw OAuthError.invalidRequest('The grant_type parameter is missing');
  if (grantType !== 'client_credentials') throw OAuthError.unsupportedGrantType('Only grant_type=client_credentials is supported');
  if (req.authorization === undefined || !/^Basic(\s|$)/i.test(req.authorization)) {
    throw OAuthError.invalidClient('Authenticate with HTTP Basic (application id and secret)', 'tessera');
  }
  return req;
}

/**
 * The error handler of the SMSCX routes, the one place an SMSCX error answer is made: errors of the handlers and
 * those Fastify raises before a handler runs (content type, body over 64 KiB), so no SMSCX route answers in the
 * RFC shape. The token handler counts every request against its address first; a request that failed before
 * that (or that no handler counts, a 405) is counted here, so every SMSCX answer carries X-Rate-Limit-*, and an
 * address over its limit gets the 429 whatever else is wrong, as the token handler would answer it. 5xx answers
 * are Tessera's failures and are not counted.
 */
function smscxErrorHandler(ctx: OAuthContext) {
  return async (err: unknown, request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    let oauth = toOAuthError(err, request.id, request.raw);
    logServerError(ctx.logger, err, oauth, request.id, ctx);
    recordThrottleRefusal(request, err);
    if (request.rateDecision === undefined && oauth.status < 500) {
      try {
        await limitByIp(request, reply, ctx);
      } catch (refused) {
        // A refusal is an OAuthError (429); a limiter that cannot decide leaves the original answer as it is.
        if (refused instanceof OAuthError) oauth = refused;
      }
    }
    sendSmscxError(reply, oauth);
  };
}

export function mountSmscx(app: FastifyInstance, ctx: OAuthContext, prefix: string): void {
  const url = `${prefix}${ENDPOINTS.token}`;
  const errorHandler = smscxErrorHandler(ctx);
  app.post(url, { schema: { summary: 'SMSCX profile: client credentials (HTTP Basic)', tags: ['compatibility'] }, errorHandler }, (request, reply) =>
    serveTokenRequest(request, reply, ctx, smscxTokenRequest),
  );
  // Every other method gets SMSCX's 405, through the same error handler (so it is counted and carries the headers).
  methodNotAllowed(app, url, ['POST'], { refuse: (err, request, reply) => errorHandler(err, request, reply) });
}
