import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { ChangeTopic, Client, Store, User } from '../store/types.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { JwtSigner } from '../keys/signing-thread.js';
import type { Limits } from '../limits/types.js';
import { RecordCache } from './cache.js';
import { ChangeBus } from './change-bus.js';
import { SecretVerifier } from './client-auth/secret-verifier.js';
import { CLIENT_AUTHENTICATORS, createClientAuthRegistry, type ClientAuthRegistry } from './client-auth/index.js';
import type { KnownKey } from './client-auth/request-signature.js';
import { TokenIssuer } from './issuer.js';
import { ClaimTemplates } from './claims.js';
import { TokenHook } from './token-hook.js';
import { RefreshTokenService } from './refresh-tokens.js';
import { Denylist } from './denylist.js';
import { RevokedFamilies } from './revoked-families.js';
import type { ReplayGuard } from './replay-guard.js';
import { CORE_GRANTS, createGrantRegistry, type GrantRegistry, type GrantResolver } from './grants/index.js';
import type { GrantHandler } from './grants/types.js';
import { createInstallationCaches, type InstallationCaches } from './installations.js';
import type { UsernameIndex } from './users.js';
import { KeySetCache } from './jwt/remote-jwks.js';
import { JwtIntrospectionCache } from './access-tokens/introspection-cache.js';
import { KeyedLock } from './keyed-lock.js';
import { EventHub } from '../observability/events.js';
import { OutageLog } from '../observability/outage-log.js';
import { Metrics } from '../observability/metrics.js';
import { metricsEventSink } from '../observability/metrics-sink.js';
import { CorsOrigins } from './cors-origins.js';
import { OncePerWindow } from '../observability/once-per-window.js';
import { DpopService } from './dpop/service.js';

/**
 * Everything a grant, an authenticator or an endpoint needs: every per-server cache, registry and service, built
 * once by createOAuthContext and passed down. Protocol code never reaches for globals, process.env or state
 * hidden in a module; two contexts in one process (tests) share nothing.
 */
export interface OAuthContext {
  /** The context's own copy of the config (its issuer is resolved once listening on an ephemeral port: resolveIssuer). */
  readonly config: Config;
  readonly store: Store;
  readonly keys: KeyRing;
  /** The master key (unseals client_secret_jwt secrets and identity-provider credentials at rest). */
  readonly masterKey: Buffer;
  readonly clients: RecordCache<Client>;
  /** Every client's allowed CORS origins, for preflights (cors-origins.ts; reloaded after 'client' changes). */
  readonly corsOrigins: CorsOrigins;
  readonly users: RecordCache<User>;
  /** normalised username -> user id (users.ts); every hit is re-checked against ctx.users. */
  readonly usernames: UsernameIndex;
  /** Organisations and installations (installations.ts; 'org' and 'installation' changes). */
  readonly installations: InstallationCaches;
  /** Request-signature keys by public key, parsed once ('api_key' changes). */
  readonly apiKeys: RecordCache<KnownKey>;
  /** Remote JWK Sets (clients' jwks_uri, identity providers' jwks_uri), one per URL and options. */
  readonly remoteKeySets: KeySetCache;
  readonly secrets: SecretVerifier;
  readonly issuer: TokenIssuer;
  /** Clients' claim templates, compiled once per client record (claims.ts); the issuer evaluates them. */
  readonly claimTemplates: ClaimTemplates;
  /** The token hook (token-hook.ts): off unless configured; its per-outcome counters are read by the metrics. */
  readonly tokenHook: TokenHook;
  readonly refreshTokens: RefreshTokenService;
  readonly denylist: Denylist;
  /** Refresh-token families revoked within the longest access-token lifetime: their access tokens are inactive. */
  readonly revokedFamilies: RevokedFamilies;
  /** grant_type -> handler: the core grants and the extensions' (federation). */
  readonly grants: GrantRegistry;
  /** The client authentication methods (RFC 6749 §2.3). */
  readonly clientAuth: ClientAuthRegistry;
  /** Verified JWT introspection answers of this server (access-tokens/jwt.ts). */
  readonly introspectionCache: JwtIntrospectionCache;
  /** Password attempts of one (username, address) pair, one after another (grants/password.ts). */
  readonly loginAttempts: KeyedLock;
  readonly limits: Limits;
  readonly replay: ReplayGuard;
  /** DPoP at the token endpoint (RFC 9449): proof checks, imported proof keys, server nonces (dpop/service.ts). */
  readonly dpop: DpopService;
  readonly logger: Logger;
  /** Security-relevant events (observability/events.ts): emitted once, fanned out to audit, log, metrics, streams. */
  readonly events: EventHub;
  /** Upstream outages (database, JWKS hosts, identity providers), logged once per state change. */
  readonly outages: OutageLog;
  /** Prometheus metrics (observability/metrics.ts): hot-path counters are plain increments of pre-resolved cells. */
  readonly metrics: Metrics;
  /** Rate-limit refusals already reported in their window (one rate_limit.rejected per key and window). */
  readonly rateLimitNotices: OncePerWindow;
  /** Cache invalidation events (change feed, Redis nudges); every subscription is made in createOAuthContext. */
  readonly changes: ChangeBus;
  /** Current time in Unix seconds (overridable in tests). */
  now(): number;
}

/** What the composition root provides: configuration, opened resources and the per-node limit backends. */
export interface OAuthDeps {
  readonly config: Config;
  readonly store: Store;
  readonly keys: KeyRing;
  readonly masterKey: Buffer;
  readonly signer: JwtSigner;
  readonly limits: Limits;
  readonly replay: ReplayGuard;
  readonly logger: Logger;
  /** The node's event hub; a context without one gets its own hub with no sinks (tests, tools). */
  readonly events?: EventHub;
  /** The node's metrics; a context without them gets its own (tests, tools): only its counters, nothing watched. */
  readonly metrics?: Metrics;
  readonly now: () => number;
}

/**
 * A part of the server with per-server state of its own that the protocol core must not import (federation
 * imports oauth, never the reverse): the grants and grant resolvers it adds, and the change topics it follows.
 */
export interface OAuthExtension {
  readonly name: string;
  readonly grants: readonly GrantHandler[];
  readonly grantResolvers: readonly GrantResolver[];
  readonly follows: Readonly<Partial<Record<ChangeTopic, (key: string) => void>>>;
}

/** Builds an extension from the context's shared parts (called once, by createOAuthContext). */
export type OAuthExtensionFactory = (base: { store: Store; logger: Logger; remoteKeySets: KeySetCache; outages: OutageLog }) => OAuthExtension;

/**
 * The one place per-server state is made. Every cache is created here and every change-bus subscription is
 * made here, at construction: a change published before any request still reaches every cache. Loads what
 * the hot path must not wait for (the JWT denylist, the recently revoked families).
 */
export async function createOAuthContext(deps: OAuthDeps, extensions: readonly OAuthExtensionFactory[] = []): Promise<OAuthContext> {
  const { store, logger, now } = deps;
  // The context's own copy: resolveIssuer may complete it once listening; the caller's object is never written.
  const config: Config = { ...deps.config };
  const outages = new OutageLog(logger);
  // The path only: a JWKS URL has no secrets, but keep log lines free of query strings on principle.
  const jwksName = (url: string) => {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  };
  // A JWKS host down is logged once when it goes and once when it is back, not per request (outage-log.ts).
  const remoteKeySets = new KeySetCache({
    failed: (url, reason) => outages.failed(`JWK Set ${jwksName(url)}`, { jwks_uri: jwksName(url) }, reason),
    answered: (url) => outages.succeeded(`JWK Set ${jwksName(url)}`, { jwks_uri: jwksName(url) }),
  });
  const added = extensions.map((make) => make({ store, logger, remoteKeySets, outages }));
  const denylist = new Denylist(store);
  await denylist.load(now());
  const revokedFamilies = new RevokedFamilies(store, config.maxAccessTokenTtl);
  await revokedFamilies.load(now());

  const claimTemplates = new ClaimTemplates();
  const events = deps.events ?? new EventHub();
  const tokenHook = new TokenHook(config.tokenHook, events, () => config.issuer, now);
  const ctx: OAuthContext = {
    config,
    store,
    keys: deps.keys,
    masterKey: deps.masterKey,
    clients: new RecordCache<Client>(),
    corsOrigins: new CorsOrigins(() => store.clients.allowedOrigins()),
    users: new RecordCache<User>(),
    usernames: new Map(),
    installations: createInstallationCaches(),
    apiKeys: new RecordCache<KnownKey>(),
    remoteKeySets,
    secrets: new SecretVerifier(now),
    issuer: new TokenIssuer(config, deps.keys, store, now, deps.signer, claimTemplates, tokenHook),
    claimTemplates,
    tokenHook,
    refreshTokens: new RefreshTokenService(config, store, now, revokedFamilies),
    denylist,
    revokedFamilies,
    grants: createGrantRegistry([...CORE_GRANTS, ...added.flatMap((x) => x.grants)], added.flatMap((x) => x.grantResolvers)),
    // RFC 8705 methods only where a certificate can arrive (a TLS listener, a trusted proxy's header).
    clientAuth: createClientAuthRegistry(config.tls.cert !== undefined || config.mtls.certificateHeader !== undefined ? CLIENT_AUTHENTICATORS : CLIENT_AUTHENTICATORS.filter((a) => !a.byRegistration)),
    introspectionCache: new JwtIntrospectionCache(),
    loginAttempts: new KeyedLock(),
    limits: deps.limits,
    replay: deps.replay,
    dpop: new DpopService(config, deps.masterKey, deps.replay, now),
    logger,
    events,
    outages,
    metrics: deps.metrics ?? new Metrics({ perClient: config.metrics.perClient }),
    rateLimitNotices: new OncePerWindow(),
    changes: new ChangeBus(),
    now,
  };

  // Security events are counted from the hub, the one place each is detected (observability/metrics-sink.ts).
  if (config.metrics.enabled) ctx.events.addSink(metricsEventSink(ctx.metrics));
  const { changes } = ctx;
  changes.subscribe('client', (key) => {
    // The client's remote JWK Set goes with its record, as an identity provider's does (federation.ts): a changed
    // jwks_uri leaves no cached set behind, and an operator who updates a client gets its keys fetched anew.
    const jwksUri = ctx.clients.peek(key)?.jwksUri;
    if (jwksUri) remoteKeySets.drop(jwksUri);
    ctx.clients.invalidate(key);
  });
  changes.subscribe('client', () => ctx.corsOrigins.invalidate());
  changes.subscribe('user', (key) => ctx.users.invalidate(key));
  changes.subscribe('key', () => ctx.keys.reload());
  // The durable row carries the exact expiry; the in-memory entry only needs to outlive the token.
  changes.subscribe('jti', (jti) => denylist.add(jti, now() + config.maxAccessTokenTtl));
  changes.subscribe('family', (familyId) => revokedFamilies.add(familyId, now()));
  // The feed names an installation by its id, the cache by (org, client): installation changes are rare
  // (install, revoke, re-scope), so dropping the whole cache is cheaper than keeping a reverse index.
  changes.subscribe('installation', () => ctx.installations.installations.clear());
  changes.subscribe('org', (orgId) => ctx.installations.orgs.invalidate(orgId));
  changes.subscribe('api_key', (publicKey) => ctx.apiKeys.invalidate(publicKey));
  for (const x of added) for (const [topic, follow] of Object.entries(x.follows)) if (follow) changes.subscribe(topic as ChangeTopic, follow);
  return ctx;
}

/**
 * The default issuer of an ephemeral port (`--port 0`, tests) names port 0 until the server listens; then it
 * becomes the listening URL. An explicitly configured issuer is never rewritten.
 */
export function resolveIssuer(ctx: OAuthContext, listeningUrl: string): void {
  if (ctx.config.port === 0 && ctx.config.issuer === listeningUrl.replace(/:\d+$/, ':0')) ctx.config.issuer = listeningUrl;
}

export function getClient(ctx: OAuthContext, clientId: string): Promise<Client | undefined> {
  return ctx.clients.get(clientId, (id) => ctx.store.clients.get(id));
}
