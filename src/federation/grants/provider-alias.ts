import { OAuthError } from '../../oauth/errors.js';
import { issueForIdentity } from '../../oauth/grants/federated.js';
import type { GrantResolver } from '../../oauth/grants/index.js';
import type { GrantHandler } from '../../oauth/grants/types.js';
import type { Federation } from '../federation.js';
import { verifyWithProvider } from '../subject-token.js';
import { assertProviderAllowsClient, federatedSubject } from './allowed.js';
import { TOKEN_EXCHANGE } from './token-exchange.js';

/**
 * KnetikCloud compatibility: `grant_type=<provider name>&token=<third-party token>` (e.g. grant_type=facebook) is
 * RFC 8693 token exchange with the provider named instead of inferred. The handler's grantType is the token
 * exchange URN, so the spine admits a client that lists either the provider name or the token-exchange URN in
 * its grant_types (the URN already lets it exchange that provider's tokens; the alias adds no power).
 */
function aliasFor(federation: Federation, name: string): GrantHandler {
  return {
    grantType: TOKEN_EXCHANGE,
    parameters: new Set(['token', 'scope', 'audience', 'resource']),
    confidentialOnly: false,
    async handle(req, client, ctx) {
      const token = req.params.get('token');
      if (token === undefined) throw OAuthError.invalidRequest('The token parameter is missing');
      // Looked up again: the provider may have been removed between dispatch and here.
      const p = await federation.providers.get(name);
      if (!p) throw OAuthError.unsupportedGrantType('The grant type is not supported by this server');
      assertProviderAllowsClient(p, client);
      const { identity } = await verifyWithProvider(p, token, ctx, federation);
      return issueForIdentity(req, client, ctx, federatedSubject(p, identity, ctx), { tokenExchange: false });
    },
  } satisfies GrantHandler;
}

/** The grant resolver: a configured provider's name resolves to its alias handler. */
export function providerAliasResolver(federation: Federation): GrantResolver {
  return async (grantType) => {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(grantType)) return undefined;
    const p = await federation.providers.get(grantType);
    return p ? aliasFor(federation, p.name) : undefined;
  };
}
