import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../oauth/context.js';
import { getClient } from '../oauth/context.js';
import { parseBasicAuthorization } from '../oauth/token-request.js';
import { ENDPOINTS } from '../endpoints.js';
import type { RefuseMethod } from './method-not-allowed.js';

/**
 * CORS (Fetch standard, "CORS protocol") for browser-based clients, on the token, revocation and introspection
 * endpoints only, and only for origins a client lists in allowed_origins (exact string match: admin/client-rules.ts
 * checks each is an origin exactly as a browser sends it). Off for everything else and off by default: a server
 * whose clients list no origin answers exactly as before.
 *
 * - Preflight (OPTIONS, no credentials, no body): answered 204 for an origin that any client lists, since the
 *   preflight cannot say which client is asking. Anything else (no Origin, an unknown origin, a method other than
 *   POST) gets the endpoint's usual 405.
 * - The actual request: Access-Control-Allow-Origin is the exact origin, and only when the client the request
 *   names (Basic credentials or the client_id parameter) lists it, on success and error answers alike, so a
 *   browser client can read the OAuth error. Never "*"; never Allow-Credentials (no cookies are involved).
 */
export const CORS_ENDPOINTS: ReadonlySet<string> = new Set([ENDPOINTS.token, ENDPOINTS.revoke, ENDPOINTS.introspect]);

const ALLOW_HEADERS = 'Authorization, Content-Type, DPoP';
const EXPOSE_HEADERS = 'DPoP-Nonce, WWW-Authenticate';
/** How long a browser may cache a preflight answer, seconds (browsers cap it: Chromium at 7200). */
const MAX_AGE = '600';

/** The OPTIONS route of one endpoint (its other methods' 405 is `refuse`). */
export function corsPreflightRoute(app: FastifyInstance, ctx: OAuthContext, url: string, refuse: RefuseMethod): void {
  app.route({
    method: 'OPTIONS',
    url,
    schema: { hide: true },
    handler: async (request, reply) => {
      const origin = request.headers.origin;
      const method = request.headers['access-control-request-method'];
      reply.header('vary', 'Origin');
      if (origin === undefined || method !== 'POST' || !(await ctx.corsOrigins.has(origin))) return refuse(request, reply);
      reply
        .code(204)
        .header('access-control-allow-origin', origin)
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', ALLOW_HEADERS)
        .header('access-control-max-age', MAX_AGE);
      return reply.send();
    },
  });
}

/** The client a request names, without authenticating it (that is the endpoint's job): Basic, else client_id. */
function namedClientId(request: FastifyRequest): string | undefined {
  try {
    const basic = parseBasicAuthorization(request.headers.authorization);
    if (basic) return basic.clientId;
  } catch {
    return undefined;
  }
  const body = request.rawBody;
  if (typeof body !== 'string' || body.length === 0) return undefined;
  const ids = new URLSearchParams(body).getAll('client_id');
  return ids.length === 1 ? ids[0] : undefined;
}

async function allowedFor(ctx: OAuthContext, request: FastifyRequest, origin: string): Promise<boolean> {
  // Cheap refusal first: an origin no client lists (most cross-origin requests a server sees) needs no look-up.
  if (!(await ctx.corsOrigins.has(origin))) return false;
  const clientId = namedClientId(request);
  if (clientId === undefined) return false;
  const client = ctx.clients.peek(clientId) ?? (await getClient(ctx, clientId));
  return client?.allowedOrigins?.includes(origin) ?? false;
}

/** The tail of an onSend hook: it sends the payload on. */
export type OnSendDone = (err: null, payload: unknown) => void;

/**
 * The CORS headers of actual requests to the three endpoints, added by the app's one onSend hook (app.ts) when a
 * request carries Origin: it sees success and error answers alike. Every non-browser client pays one property
 * read there and no hook of its own. Calls `done` itself (the client look-up may wait for the store).
 */
export function corsOnSend(ctx: OAuthContext): (request: FastifyRequest, reply: FastifyReply, origin: string, payload: unknown, done: OnSendDone) => void {
  return (request, reply, origin, payload, done) => {
    if (request.method !== 'POST' || !CORS_ENDPOINTS.has(request.routeOptions.url ?? '')) return done(null, payload);
    reply.header('vary', 'Origin');
    allowedFor(ctx, request, origin).then(
      (allowed) => {
        // RFC 9449 §8: a browser client must read DPoP-Nonce (and the DPoP challenge) to retry with the nonce.
        if (allowed) reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', EXPOSE_HEADERS);
        done(null, payload);
      },
      // The look-up failed (store outage): the answer goes out without CORS headers rather than not at all.
      () => done(null, payload),
    );
  };
}
