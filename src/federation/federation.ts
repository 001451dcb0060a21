import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import type { ChangeTopic, Store } from '../store/types.js';
import type { OAuthExtension } from '../oauth/context.js';
import type { KeySetCache } from '../oauth/jwt/remote-jwks.js';
import { remoteUnavailable } from '../oauth/jwt/fetch.js';
import { ProviderHealth } from './provider-health.js';
import { ProviderRegistry, type JwtBearerProvider, type OidcProvider } from './providers.js';
import { jwtBearerGrant } from './grants/jwt-bearer.js';
import { providerAliasResolver } from './grants/provider-alias.js';
import { tokenExchangeGrant } from './grants/token-exchange.js';

/**
 * Per-server federation state: the provider table and the key resolvers of providers. Built once with the
 * context (federationExtension); the remote key sets are the context's (shared with clients' jwks_uri).
 */
export class Federation {
  readonly providers: ProviderRegistry;
  /** Up or down per provider: idp.unavailable / idp.recovered once per state change (provider-health.ts). */
  readonly health = new ProviderHealth();
  /**
   * Inline key sets, once per provider record: derived data of an immutable record (a reload makes new records),
   * keyed by the record so it lives exactly as long as the provider table holds it. Not per-server state.
   */
  private readonly inline = new WeakMap<object, JWTVerifyGetKey>();
  private readonly knownUris = new Map<string, string>();

  constructor(
    store: Store,
    private readonly logger: Logger,
    readonly keySets: KeySetCache,
  ) {
    this.providers = new ProviderRegistry(store, (name, problems) => logger.error({ provider: name, problems }, 'identity provider config is invalid; the provider is disabled'));
  }

  /** An `idp` change (the change feed): reload the table and forget the provider's remote keys. */
  providerChanged(name: string): void {
    this.providers.invalidate();
    const uri = this.knownUris.get(name);
    if (uri) this.keySets.drop(uri);
  }

  /** The key resolver for a provider: its inline JWKS, or its remote jwks_uri through the shared cache. */
  keysFor(p: OidcProvider | JwtBearerProvider): JWTVerifyGetKey {
    if (p.jwks) {
      let local = this.inline.get(p);
      if (!local) {
        try {
          local = createLocalJWKSet(p.jwks as never);
        } catch {
          // Validated at import; only a hand-edited row gets here. An operator problem: 503, logged.
          this.logger.error({ provider: p.name }, 'the inline jwks of this identity provider is not a JWK Set');
          throw remoteUnavailable(`The identity provider ${p.name}`);
        }
        this.inline.set(p, local);
      }
      return local;
    }
    this.knownUris.set(p.name, p.jwksUri!);
    return this.keySets.get(p.jwksUri!, { timeoutMs: p.timeoutMs, cooldownSeconds: p.cooldownSeconds, what: `The identity provider ${p.name}` }).getKey;
  }
}

/**
 * Identity federation as a part of one server's context: its grants (RFC 8693 token exchange, RFC 7523 JWT
 * bearer, KnetikCloud's grant_type=<provider>) and the change topic it follows. createOAuthContext calls this once
 * and makes the subscription; federation imports oauth, never the reverse.
 */
export function federationExtension(base: { store: Store; logger: Logger; remoteKeySets: KeySetCache }): OAuthExtension {
  const federation = new Federation(base.store, base.logger, base.remoteKeySets);
  const follows: Partial<Record<ChangeTopic, (key: string) => void>> = { idp: (name) => federation.providerChanged(name) };
  return { name: 'federation', grants: [tokenExchangeGrant(federation), jwtBearerGrant(federation)], grantResolvers: [providerAliasResolver(federation)], follows };
}
