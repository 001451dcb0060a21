import { OAuthError } from '../../oauth/errors.js';
import { peekJwt } from '../../oauth/jwt/verify.js';
import { issueForIdentity } from '../../oauth/grants/federated.js';
import type { GrantHandler } from '../../oauth/grants/types.js';
import type { Federation } from '../federation.js';
import { verifyBearerAssertion } from '../jwt-bearer.js';
import { providerAllowsClient } from '../providers.js';
import { federatedSubject } from './allowed.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * RFC 7523 §2.1: a signed assertion of a trusted issuer (a `jwt_bearer` provider, chosen by the assertion's iss)
 * is exchanged for an access token for the mapped local user. Checks per §3 in federation/jwt-bearer.ts.
 */
export function jwtBearerGrant(federation: Federation): GrantHandler {
  return {
    grantType: JWT_BEARER,
    parameters: new Set(['assertion', 'scope', 'audience', 'resource']),
    confidentialOnly: false,
    async handle(req, client, ctx) {
      const assertion = req.params.get('assertion');
      if (assertion === undefined) throw OAuthError.invalidRequest('The assertion parameter is missing');
      const iss = peekJwt(assertion)?.iss;
      if (iss === undefined) throw OAuthError.invalidGrant('The assertion is not a JWT with an iss claim');
      const providers = (await federation.providers.byIssuer(iss, ['jwt_bearer'])).filter((p) => providerAllowsClient(p, client.clientId));
      if (providers.length === 0) throw OAuthError.invalidGrant('The assertion issuer is not trusted by this service');
      let lastError: unknown;
      for (const p of providers) {
        if (p.type !== 'jwt_bearer') continue;
        try {
          const identity = await federation.health.observe(p.name, ctx, () => verifyBearerAssertion(p, assertion, ctx, federation));
          return await issueForIdentity(req, client, ctx, federatedSubject(p, identity, ctx), { tokenExchange: false });
        } catch (err) {
          if (!(err instanceof OAuthError) || err.code !== 'invalid_grant' || providers.length === 1) throw err;
          lastError = err;
        }
      }
      throw lastError;
    },
  };
}
