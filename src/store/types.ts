/**
 * Domain records and the narrow Store interfaces the protocol needs, one per aggregate.
 * Backends (store/sql over SQLite or PostgreSQL) implement these; test/conformance runs the same suite on each.
 * Times are Unix seconds. Secrets are never stored in clear: secrets and passwords as argon2id PHC strings,
 * tokens as SHA-256 hex.
 */
export type * from './types/common.js';
export type * from './types/clients.js';
export type * from './types/keys.js';
export type * from './types/users.js';
export type * from './types/tokens.js';
export type * from './types/organizations.js';
export type * from './types/feeds.js';

import type { ApiKeyStore, ClientRegistrationStore, ClientStore } from './types/clients.js';
import type { ChangeFeed, EventStore } from './types/feeds.js';
import type { KeyStore } from './types/keys.js';
import type { InstallationStore, OrganizationStore } from './types/organizations.js';
import type { AccessTokenStore, RefreshTokenStore, ReplayStore } from './types/tokens.js';
import type { IdentityProviderStore, UserLinkStore, UserStore } from './types/users.js';

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly clients: ClientStore;
  readonly apiKeys: ApiKeyStore;
  readonly clientRegistrations: ClientRegistrationStore;
  readonly keys: KeyStore;
  readonly users: UserStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly accessTokens: AccessTokenStore;
  readonly replay: ReplayStore;
  readonly organizations: OrganizationStore;
  readonly installations: InstallationStore;
  readonly identityProviders: IdentityProviderStore;
  readonly userLinks: UserLinkStore;
  readonly changes: ChangeFeed;
  readonly events: EventStore;
  /** Cheap liveness query for /readyz. */
  ping(): Promise<void>;
  /** Runs fn in one transaction (used by import so a document is applied whole or not at all). */
  transaction<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
