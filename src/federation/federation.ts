import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import type { OAuthContext } from '../oauth/context.js';
import { KeySetCache } from './remote-jwks.js';
import { remoteUnavailable } from './fetch.js';
import { ProviderRegistry, type JwtBearerProvider, type OidcProvider } from './providers.js';

/**
 * Per-process federation state: the provider table and the remote key sets. One per OAuthContext (a test process
 * may run several servers), created on first use; it follows `idp` changes from the change feed.
 */
export class Federation {
  readonly providers: ProviderRegistry;
  readonly keySets: KeySetCache;
  private readonly inline = new WeakMap<object, JWTVerifyGetKey>();
  private knownUris = new Map<string, string>();

  constructor(private readonly ctx: OAuthContext) {
    this.keySets = new KeySetCache((url, reason) => {
      // The path only: a JWKS URL has no secrets, but keep log lines free of query strings on principle.
      const u = new URL(url);
      ctx.logger.warn({ jwks_uri: `${u.origin}${u.pathname}`, reason }, 'fetching a remote JWK Set failed');
    });
    this.providers = new ProviderRegistry(ctx.store, (name, problems) =>
      ctx.logger.error({ provider: name, problems }, 'identity provider config is invalid; the provider is disabled'),
    );
    ctx.changes.subscribe('idp', (name) => {
      this.providers.invalidate();
      const uri = this.knownUris.get(name);
      if (uri) this.keySets.drop(uri);
    });
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
          this.ctx.logger.error({ provider: p.name }, 'the inline jwks of this identity provider is not a JWK Set');
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

const instances = new WeakMap<OAuthContext, Federation>();

export function federationOf(ctx: OAuthContext): Federation {
  let f = instances.get(ctx);
  if (!f) {
    f = new Federation(ctx);
    instances.set(ctx, f);
  }
  return f;
}
