import type { OAuthContext } from '../context.js';
import type { GrantHandler } from './types.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { passwordGrant } from './password.js';
import { refreshTokenGrant } from './refresh-token.js';
import { orgImplicitGrant } from './org-implicit.js';

/** The grants of the protocol core. Federated grants (token exchange, JWT bearer, provider aliases) are federation's. */
export const CORE_GRANTS: readonly GrantHandler[] = [clientCredentialsGrant, passwordGrant, refreshTokenGrant, orgImplicitGrant];

/**
 * Grant types that are not fixed strings (KnetikCloud's grant_type=<identity provider name>) are resolved by
 * resolvers after the exact lookup misses.
 */
export type GrantResolver = (grantType: string, ctx: OAuthContext) => Promise<GrantHandler | undefined>;

/** Parameters every grant sees besides its own. */
const COMMON = ['grant_type', 'scope'];

/** grant_type -> handler by exact key, then the resolvers; built once per server from the list it is given. */
export interface GrantRegistry {
  /** The handler registered under exactly this grant_type (no resolvers, no promise: the hot path). */
  exact(grantType: string): GrantHandler | undefined;
  find(grantType: string, ctx: OAuthContext): Promise<GrantHandler | undefined>;
  /** The handler's own parameters plus the common ones (built once per registered handler). */
  allowedParameters(handler: GrantHandler): ReadonlySet<string>;
  /** The registered grant types (RFC 8414 grant_types_supported). */
  readonly grantTypes: readonly string[];
}

export function createGrantRegistry(handlers: readonly GrantHandler[], resolvers: readonly GrantResolver[] = []): GrantRegistry {
  const byType = new Map<string, GrantHandler>();
  const allowed = new Map<GrantHandler, ReadonlySet<string>>();
  for (const h of handlers) {
    if (byType.has(h.grantType)) throw new Error(`grant ${h.grantType} registered twice`);
    byType.set(h.grantType, h);
    allowed.set(h, new Set([...COMMON, ...h.parameters]));
  }
  const grantTypes = [...byType.keys()];
  return {
    exact: (grantType) => byType.get(grantType),
    async find(grantType, ctx) {
      const exact = byType.get(grantType);
      if (exact) return exact;
      for (const r of resolvers) {
        const h = await r(grantType, ctx);
        if (h) return h;
      }
      return undefined;
    },
    // A resolved handler (a provider alias) is made per request and is not on the hot path: its set is built then.
    allowedParameters: (handler) => allowed.get(handler) ?? new Set([...COMMON, ...handler.parameters]),
    grantTypes,
  };
}
