import type { IdentityProvider, Store } from '../store/types.js';
import { ASYMMETRIC_ALGS } from '../oauth/jwt/verify.js';
import { validateProviderInput } from './provider-config.js';

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_COOLDOWN = 30;
const DEFAULT_ASSERTION_LIFETIME = 600;

interface ProviderBase {
  name: string;
  /** null = every client allowed the grant may use this provider. */
  allowedClients: string[] | null;
  autoProvision: boolean;
  linkVerifiedEmail: boolean;
  timeoutMs: number;
}

interface KeySource {
  issuer: string;
  /** issuer plus additional_issuers: every accepted iss. */
  issuers: string[];
  jwksUri: string | null;
  jwks: { keys: unknown[] } | null;
  algorithms: string[];
  cooldownSeconds: number;
}

export interface OidcProvider extends ProviderBase, KeySource {
  type: 'oidc';
  audiences: string[];
  maxTokenAge: number | null;
}

export interface JwtBearerProvider extends ProviderBase, KeySource {
  type: 'jwt_bearer';
  maxAssertionLifetime: number;
  requireJti: boolean;
}

export interface IntrospectionProvider extends ProviderBase {
  type: 'introspection';
  endpoint: string;
  format: 'rfc7662' | 'facebook';
  clientId: string | null;
  clientSecretSealed: string | null;
  audiences: string[] | null;
  acceptedClientIds: string[] | null;
  appId: string | null;
  appTokenSealed: string | null;
}

export type Provider = OidcProvider | JwtBearerProvider | IntrospectionProvider;

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
function strs(v: unknown): string[] | null {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null;
}

/**
 * The typed runtime view of a stored provider, or undefined (with a reason) when its config no longer validates
 * (edited by hand in the database): such a provider is treated as absent rather than half-used.
 */
export function parseProvider(idp: IdentityProvider): { provider?: Provider; problems: string[] } {
  const item = { ...idp.config, name: idp.name, type: idp.type };
  const problems = validateProviderInput(item, `$[${idp.name}]`);
  if (problems.length > 0) return { problems };
  const c = idp.config;
  const base: ProviderBase = {
    name: idp.name,
    allowedClients: strs(c.allowed_clients),
    autoProvision: c.auto_provision === true,
    linkVerifiedEmail: c.link_verified_email === true,
    timeoutMs: typeof c.timeout_ms === 'number' ? c.timeout_ms : DEFAULT_TIMEOUT_MS,
  };
  const keys = (): KeySource => ({
    issuer: c.issuer as string,
    issuers: [c.issuer as string, ...(strs(c.additional_issuers) ?? [])],
    jwksUri: str(c.jwks_uri),
    jwks: (c.jwks as { keys: unknown[] } | undefined) ?? null,
    algorithms: strs(c.algorithms) ?? [...ASYMMETRIC_ALGS],
    cooldownSeconds: typeof c.jwks_cooldown_seconds === 'number' ? c.jwks_cooldown_seconds : DEFAULT_COOLDOWN,
  });
  switch (idp.type) {
    case 'oidc':
      return { provider: { ...base, ...keys(), type: 'oidc', audiences: strs(c.audiences) ?? [], maxTokenAge: typeof c.max_token_age === 'number' ? c.max_token_age : null }, problems };
    case 'jwt_bearer':
      return {
        provider: {
          ...base,
          ...keys(),
          type: 'jwt_bearer',
          maxAssertionLifetime: typeof c.max_assertion_lifetime === 'number' ? c.max_assertion_lifetime : DEFAULT_ASSERTION_LIFETIME,
          requireJti: c.require_jti !== false,
        },
        problems,
      };
    case 'introspection':
      return {
        provider: {
          ...base,
          type: 'introspection',
          endpoint: c.endpoint as string,
          format: c.format === 'facebook' ? 'facebook' : 'rfc7662',
          clientId: str(c.client_id),
          clientSecretSealed: str(c.client_secret_sealed),
          audiences: strs(c.audiences),
          acceptedClientIds: strs(c.accepted_client_ids),
          appId: str(c.app_id),
          appTokenSealed: str(c.app_token_sealed),
        },
        problems,
      };
  }
}

/** May this client use this provider at all? (the provider's allowed_clients list). */
export function providerAllowsClient(p: Provider, clientId: string): boolean {
  return p.allowedClients === null || p.allowedClients.includes(clientId);
}

/**
 * The per-process provider table: loaded from the store once, then served from memory until the change feed
 * reports an `idp` change (Federation.providerChanged, subscribed by createOAuthContext). `grant_type=<anything>` looks names up here, so an
 * unknown grant type costs no database round trip.
 */
export class ProviderRegistry {
  private table: Promise<Map<string, Provider>> | undefined;
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly onInvalid: (name: string, problems: string[]) => void,
  ) {}

  private load(): Promise<Map<string, Provider>> {
    if (this.table) return this.table;
    const gen = this.generation;
    const p = this.store.identityProviders.list().then((list) => {
      const map = new Map<string, Provider>();
      for (const idp of list) {
        const { provider, problems } = parseProvider(idp);
        if (provider) map.set(provider.name, provider);
        else this.onInvalid(idp.name, problems);
      }
      return map;
    });
    this.table = p;
    // A failed load is not cached (the next request retries); a load that raced an invalidation is dropped.
    p.then(
      () => {
        if (gen !== this.generation && this.table === p) this.table = undefined;
      },
      () => {
        if (this.table === p) this.table = undefined;
      },
    );
    return p;
  }

  async get(name: string): Promise<Provider | undefined> {
    return (await this.load()).get(name);
  }

  async list(): Promise<Provider[]> {
    return [...(await this.load()).values()];
  }

  /** Providers of the given types whose issuer is exactly `iss` (RFC 8414 §3.3 exact match, no normalisation). */
  async byIssuer(iss: string, types: ReadonlyArray<Provider['type']>): Promise<Array<OidcProvider | JwtBearerProvider>> {
    return (await this.list()).filter((p): p is OidcProvider | JwtBearerProvider => (p.type === 'oidc' || p.type === 'jwt_bearer') && types.includes(p.type) && p.issuers.includes(iss));
  }

  invalidate(): void {
    this.generation++;
    this.table = undefined;
  }
}
