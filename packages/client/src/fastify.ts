import { authenticateRequest, checkScopes, type BearerAuthOptions } from './bearer.js';
import type { VerifiedToken } from './verifier.js';
import { requestCertificate } from './mtls.js';

/**
 * The parts of Fastify this module touches, typed structurally so that the package has no dependency on fastify
 * (it works with Fastify 4 and 5).
 */
export interface FastifyRequestLike {
  headers: Record<string, string | string[] | undefined>;
  method: string;
  url: string;
  protocol?: string;
  auth?: VerifiedToken | null;
  /** The Node request; its socket's client certificate is checked against certificate-bound tokens (RFC 8705). */
  raw?: { socket?: unknown; rawHeaders?: readonly string[] };
}
export interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}
export type FastifyHookLike = (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>;
export interface FastifyInstanceLike {
  addHook(name: 'onRequest', hook: FastifyHookLike): unknown;
  decorateRequest(name: string, value: null): unknown;
  hasRequestDecorator(name: string): boolean;
}

/**
 * A Fastify hook for one route or one scope: `{ onRequest: bearerAuthHook({ verifier, requiredScopes }) }`.
 * Bearer and DPoP (RFC 9449) tokens: on success the verified token is `request.auth`; otherwise the reply is the
 * RFC 6750 answer, or the RFC 9449 one (DPoP challenge, DPoP-Nonce) for a DPoP request.
 */
export function bearerAuthHook(opts: BearerAuthOptions): FastifyHookLike {
  return async (request, reply) => {
    // Verified already by the plugin of an enclosing scope: only this route's scopes are left to check.
    const outcome = request.auth ? checkScopes(request.auth, opts) : await authenticateRequest({ headers: request.headers, method: request.method, url: request.url, protocol: request.protocol, clientCertificate: requestCertificate(request.raw?.socket, request.headers, opts.certificateHeader), ...(request.raw?.rawHeaders ? { rawHeaders: request.raw.rawHeaders } : {}) }, opts);
    if (outcome.ok) {
      request.auth = outcome.token;
      return undefined;
    }
    const { status, headers, body } = outcome.refusal;
    reply.code(status);
    for (const [k, v] of Object.entries(headers)) reply.header(k, v);
    return reply.send(body);
  };
}

/**
 * A Fastify plugin: `await app.register(fastifyBearerAuth, { verifier, requiredScopes })` protects every route
 * of the context it is registered in (register it inside a scoped plugin to protect only some routes).
 */
export async function fastifyBearerAuth(instance: FastifyInstanceLike, opts: BearerAuthOptions): Promise<void> {
  if (!instance.hasRequestDecorator('auth')) instance.decorateRequest('auth', null);
  instance.addHook('onRequest', bearerAuthHook(opts));
}
// Like fastify-plugin: the hook applies to the context that registers the plugin, not to a child context.
Object.assign(fastifyBearerAuth, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: '@tessera/client bearer auth' });

