import { sql, type Kysely } from 'kysely';
import type { Store } from '../types.js';
import type { Database } from './schema.js';
import type { Dialect } from './dialect.js';
import { SqlContext } from './context.js';
import type { SyncTransactions } from '../sqlite/sync-transaction.js';
import { SqlClientStore } from './clients.js';
import { SqlApiKeyStore } from './api-keys.js';
import { SqlClientRegistrationStore } from './client-registrations.js';
import { SqlKeyStore } from './keys.js';
import { SqlUserStore } from './users.js';
import { SqlRefreshTokenStore } from './refresh-tokens.js';
import { SqlAccessTokenStore } from './access-tokens.js';
import { SqlReplayStore } from './replay.js';
import { SqlInstallationStore, SqlOrganizationStore } from './organizations.js';
import { SqlIdentityProviderStore, SqlUserLinkStore } from './federation.js';
import { SqlChangeFeed } from './changes.js';
import { SqlEventStore } from './events.js';
import { liveRotationFor, type LiveRotation } from './rotation/index.js';

/**
 * The Store over Kysely. One implementation serves SQLite and PostgreSQL (see docs/adr/0003-query-layer.md);
 * the backends differ in how the Kysely instance is opened (store/sqlite, store/postgres) and in the one hot
 * write written in each engine's own SQL, the live refresh rotation (rotation/), chosen here when the store opens.
 */
export class SqlStore implements Store {
  readonly clients;
  readonly apiKeys;
  readonly clientRegistrations;
  readonly keys;
  readonly users;
  readonly refreshTokens;
  readonly accessTokens;
  readonly replay;
  readonly organizations;
  readonly installations;
  readonly identityProviders;
  readonly userLinks;
  readonly changes;
  readonly events;

  constructor(
    private readonly ctx: SqlContext,
    private readonly onClose: () => Promise<void>,
    rotateLive: LiveRotation = liveRotationFor(ctx),
  ) {
    this.clients = new SqlClientStore(ctx);
    this.apiKeys = new SqlApiKeyStore(ctx);
    this.clientRegistrations = new SqlClientRegistrationStore(ctx);
    this.keys = new SqlKeyStore(ctx);
    this.users = new SqlUserStore(ctx);
    this.refreshTokens = new SqlRefreshTokenStore(ctx, rotateLive);
    this.accessTokens = new SqlAccessTokenStore(ctx);
    this.replay = new SqlReplayStore(ctx);
    this.organizations = new SqlOrganizationStore(ctx);
    this.installations = new SqlInstallationStore(ctx);
    this.identityProviders = new SqlIdentityProviderStore(ctx);
    this.userLinks = new SqlUserLinkStore(ctx);
    this.changes = new SqlChangeFeed(ctx);
    this.events = new SqlEventStore(ctx);
  }

  /** `sqlite`: the synchronous transactions of a SQLite connection, for its rotation (sqlite/sync-transaction.ts). */
  static open(db: Kysely<Database>, dialect: Dialect, onClose: () => Promise<void>, sqlite?: SyncTransactions): SqlStore {
    const ctx = new SqlContext(db, dialect, false);
    return new SqlStore(ctx, onClose, liveRotationFor(ctx, sqlite));
  }

  get dialect(): Dialect {
    return this.ctx.dialect;
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.ctx.db);
  }

  async transaction<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    return this.ctx.tx((c) => fn(new SqlStore(c, async () => undefined)));
  }

  async close(): Promise<void> {
    await this.onClose();
  }
}
