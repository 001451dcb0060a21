import { OAuthError } from '../../oauth/errors.js';
import { issueForIdentity, TOKEN_TYPE } from '../../oauth/grants/federated.js';
import type { GrantHandler } from '../../oauth/grants/types.js';
import type { Federation } from '../federation.js';
import { verifySubjectToken, type SubjectTokenKind } from '../subject-token.js';
import { assertProviderAllowsClient, federatedSubject } from './allowed.js';
import { exchangeWithActor } from './delegation.js';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

const KINDS: ReadonlyMap<string, SubjectTokenKind> = new Map([
  [TOKEN_TYPE.idToken, 'id_token'],
  [TOKEN_TYPE.jwt, 'jwt'],
  [TOKEN_TYPE.accessToken, 'access_token'],
]);

/**
 * RFC 8693 token exchange. Without an actor, impersonation semantics (§1.1): a third-party token (an identity
 * provider's ID token, JWT or access token) is exchanged for an access token of this service for the mapped local
 * user (federation/subject-token.ts says which provider validates which token). With an actor_token, delegation
 * (grants/delegation.ts): the issued token carries an `act` claim (§4.1), as the client's policy and the subject
 * token's may_act (§4.4) allow.
 */
export function tokenExchangeGrant(federation: Federation): GrantHandler {
  return {
    grantType: TOKEN_EXCHANGE,
    parameters: new Set(['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'audience', 'resource', 'scope']),
    confidentialOnly: false,
    async handle(req, client, ctx) {
      const token = req.params.get('subject_token');
      const type = req.params.get('subject_token_type');
      if (token === undefined) throw OAuthError.invalidRequest('The subject_token parameter is missing');
      if (type === undefined) throw OAuthError.invalidRequest('The subject_token_type parameter is missing');
      const kind = KINDS.get(type);
      // RFC 8693 §2.2.2: an unsupported token type is invalid_request.
      if (!kind) throw OAuthError.invalidRequest('The subject_token_type is not supported (id_token, jwt or access_token)');
      const requested = req.params.get('requested_token_type');
      if (requested !== undefined && requested !== TOKEN_TYPE.accessToken) throw OAuthError.invalidRequest('Only requested_token_type access_token can be issued');
      const actorToken = req.params.get('actor_token');
      const actorType = req.params.get('actor_token_type');
      // RFC 8693 §2.1: actor_token_type is REQUIRED with actor_token and MUST NOT be sent without it.
      if (actorToken === undefined && actorType !== undefined) throw OAuthError.invalidRequest('The actor_token_type parameter was sent without an actor_token');
      if (actorToken !== undefined) return exchangeWithActor(req, client, ctx, federation, token, kind, actorToken, actorType);
      const { provider, identity } = await verifySubjectToken(token, kind, client, ctx, federation);
      assertProviderAllowsClient(provider, client);
      return issueForIdentity(req, client, ctx, federatedSubject(provider, identity, ctx), { tokenExchange: true });
    },
  };
}
