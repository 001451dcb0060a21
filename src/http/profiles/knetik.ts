import type { FastifyInstance } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { formTokenRequest } from '../form.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { serveTokenRequest } from '../routes/token.js';
import { ENDPOINTS } from '../../endpoints.js';

/**
 * KnetikCloud (docs/compatibility.md, "KnetikCloud"): the SDK sends one form body with every option it was
 * given, in the order grant_type, client_id, client_secret, username, password, token, refresh_token, whatever
 * the grant. That is already RFC 6749 form encoding, and the spine already does what the SDK needs: only the
 * grant's declared parameters reach the handler (a stray `token` or `refresh_token` is ignored), an empty
 * `client_secret=` is an absent one (RFC 6749 §3.1), `grant_type=facebook|google|<provider>` resolves through the
 * federation grant resolver, and the §5.1 body has the OAuth2Resource fields (access_token, token_type,
 * expires_in, scope, refresh_token). So the profile only mounts the RFC endpoint under the platform's prefix; at
 * the root there is nothing to add. The SDK's default public client id `knetik` is provisioned like any other
 * client (docs/compatibility.md), never implicitly.
 */
export function mountKnetik(app: FastifyInstance, ctx: OAuthContext, prefix: string): void {
  if (prefix === '') return;
  const url = `${prefix}${ENDPOINTS.token}`;
  app.post(url, { schema: { summary: 'KnetikCloud profile: token endpoint (form POST)', tags: ['compatibility'] } }, (request, reply) =>
    serveTokenRequest(request, reply, ctx, formTokenRequest),
  );
  methodNotAllowed(app, url, ['POST']);
}
