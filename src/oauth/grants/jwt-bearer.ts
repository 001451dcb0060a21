import { OAuthError } from '../errors.js';
import { federationOf } from '../../federation/federation.js';
import { peekJwt } from '../../federation/jwt-verify.js';
import { verifyBearerAssertion } from '../../federation/jwt-bearer.js';
import { providerAllowsClient } from '../../federation/providers.js';
import { issueForIdentity } from './federated.js';
import type { GrantHandler } from './types.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * RFC 7523 §2.1: a signed assertion of a trusted issuer (a `jwt_bearer` provider, chosen by the assertion's iss)
 * is exchanged for an access token for the mapped local user. Checks per §3 in federation/jwt-bearer.ts.
 */
export const jwtBearerGrant = {
  grantType: JWT_BEARER,
  parameters: new Set(['assertion', 'scope', 'audience', 'resource']),
  confidentialOnly: false,
  async handle(req, client, ctx) {
    const assertion = req.params.get('assertion');
    if (assertion === undefined) throw OAuthError.invalidRequest('The assertion parameter is missing');
    const iss = peekJwt(assertion)?.iss;
    if (iss === undefined) throw OAuthError.invalidGrant('The assertion is not a JWT with an iss claim');
    const providers = (await federationOf(ctx).providers.byIssuer(iss, ['jwt_bearer'])).filter((p) => providerAllowsClient(p, client.clientId));
    if (providers.length === 0) throw OAuthError.invalidGrant('The assertion issuer is not trusted by this service');
    let lastError: unknown;
    for (const p of providers) {
      if (p.type !== 'jwt_bearer') continue;
      try {
        const identity = await verifyBearerAssertion(p, assertion, ctx);
        return await issueForIdentity(req, client, ctx, p, identity, { tokenExchange: false });
      } catch (err) {
        if (!(err instanceof OAuthError) || err.code !== 'invalid_grant' || providers.length === 1) throw err;
        lastError = err;
      }
    }
    throw lastError;
  },
} satisfies GrantHandler;
