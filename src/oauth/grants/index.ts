import type { OAuthContext } from '../context.js';
import type { GrantHandler } from './types.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { tokenExchangeGrant } from './token-exchange.js';
import { jwtBearerGrant } from './jwt-bearer.js';
import { resolveProviderAlias } from './provider-alias.js';
import { passwordGrant } from './password.js';
import { refreshTokenGrant } from './refresh-token.js';
import { orgImplicitGrant } from './org-implicit.js';

/** grant_type -> handler, by exact key. Adding a grant means adding a module and a line here. */
const registry = new Map<string, GrantHandler>();

export function registerGrant(handler: GrantHandler): void {
  if (registry.has(handler.grantType)) throw new Error(`grant ${handler.grantType} registered twice`);
  registry.set(handler.grantType, handler);
}

/**
 * Grant types that are not fixed strings (KnetikCloud's grant_type=<identity provider name>) are resolved by
 * resolvers after the exact lookup misses.
 */
type GrantResolver = (grantType: string, ctx: OAuthContext) => Promise<GrantHandler | undefined>;
const resolvers: GrantResolver[] = [];

export function registerGrantResolver(resolver: GrantResolver): void {
  resolvers.push(resolver);
}

/** The handler registered under exactly this grant_type (no resolvers, no promise: the hot path). */
export function findExactGrant(grantType: string): GrantHandler | undefined {
  return registry.get(grantType);
}

export async function findGrant(grantType: string, ctx: OAuthContext): Promise<GrantHandler | undefined> {
  const exact = registry.get(grantType);
  if (exact) return exact;
  for (const r of resolvers) {
    const h = await r(grantType, ctx);
    if (h) return h;
  }
  return undefined;
}

export function supportedGrantTypes(): string[] {
  return [...registry.keys()];
}

registerGrant(clientCredentialsGrant);
registerGrant(passwordGrant);
registerGrant(refreshTokenGrant);
registerGrant(orgImplicitGrant);
registerGrant(tokenExchangeGrant);
registerGrant(jwtBearerGrant);
registerGrantResolver(resolveProviderAlias);
