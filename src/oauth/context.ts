import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Client, Store, User } from '../store/types.js';
import type { KeyRing } from '../keys/key-ring.js';
import { RecordCache } from './cache.js';
import type { SecretVerifier } from './client-auth/secret-verifier.js';
import type { TokenIssuer } from './issuer.js';
import type { RefreshTokenService } from './refresh-tokens.js';
import type { Denylist } from './denylist.js';
import type { RevokedFamilies } from './revoked-families.js';
import type { Limits } from '../limits/types.js';
import type { ReplayGuard } from './replay-guard.js';
import type { ChangeBus } from './change-bus.js';
import type { JwtIntrospectionCache } from './access-tokens/introspection-cache.js';

/**
 * Everything a grant, an authenticator or an endpoint needs, built once at start-up (http/server.ts) and passed
 * down. Protocol code never reaches for globals or process.env.
 */
export interface OAuthContext {
  readonly config: Config;
  readonly store: Store;
  readonly keys: KeyRing;
  /** The master key (unseals client_secret_jwt secrets and identity-provider credentials at rest). */
  readonly masterKey: Buffer;
  readonly clients: RecordCache<Client>;
  readonly users: RecordCache<User>;
  readonly secrets: SecretVerifier;
  readonly issuer: TokenIssuer;
  readonly refreshTokens: RefreshTokenService;
  readonly denylist: Denylist;
  /** Refresh-token families revoked within the longest access-token lifetime: their access tokens are inactive. */
  readonly revokedFamilies: RevokedFamilies;
  /** Verified JWT introspection answers of this server (access-tokens/jwt.ts). */
  readonly introspectionCache: JwtIntrospectionCache;
  readonly limits: Limits;
  readonly replay: ReplayGuard;
  readonly logger: Logger;
  /** Cache invalidation events (change feed, Redis pub/sub). */
  readonly changes: ChangeBus;
  /** Current time in Unix seconds (overridable in tests). */
  now(): number;
}

export function getClient(ctx: OAuthContext, clientId: string): Promise<Client | undefined> {
  return ctx.clients.get(clientId, (id) => ctx.store.clients.get(id));
}

export function newRecordCaches(): { clients: RecordCache<Client>; users: RecordCache<User> } {
  return { clients: new RecordCache<Client>(), users: new RecordCache<User>() };
}
