import type { FastifyRequest } from 'fastify';
import type { AdminAudit } from '../../admin/audit.js';
import type { OAuthContext } from '../../oauth/context.js';
import type { AdminGrant } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the admin API's onRequest hook once the bearer token is accepted (admin/index.ts). */
    adminGrant: AdminGrant | null;
  }
}

/**
 * The actor of an admin API change: the admin token's client_id, and its subject when the token was issued to a
 * user (`client_id/sub`), with the request's address and id.
 */
export function auditOf(ctx: OAuthContext, request: FastifyRequest): AdminAudit {
  const grant = request.adminGrant;
  const id = !grant ? 'unknown' : grant.subject && grant.subject !== grant.clientId ? `${grant.clientId}/${grant.subject}` : grant.clientId;
  return { events: ctx.events, actor: { kind: 'admin_api', id }, address: request.ip, requestId: request.id };
}
