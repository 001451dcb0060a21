import type { Client } from '../../store/types.js';
import { OAuthError } from '../../oauth/errors.js';
import { providerAllowsClient, type Provider } from '../providers.js';
import { resolveLocalUser } from '../user-mapping.js';
import type { ExternalIdentity } from '../identity.js';
import type { FederatedSubject } from '../../oauth/grants/federated.js';
import type { OAuthContext } from '../../oauth/context.js';

export function assertProviderAllowsClient(p: Provider, client: Client): void {
  if (!providerAllowsClient(p, client.clientId)) throw OAuthError.unauthorizedClient(`This client may not use the identity provider ${p.name}`);
}

/** What the issuing tail (oauth/grants/federated.ts) needs of a verified identity: the idp name and the local user. */
export function federatedSubject(p: Provider, identity: ExternalIdentity, ctx: OAuthContext): FederatedSubject {
  return { idp: p.name, localUser: () => resolveLocalUser(p, identity, ctx) };
}
