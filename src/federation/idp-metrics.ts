import type { OAuthContext } from '../oauth/context.js';
import { OAuthError } from '../oauth/errors.js';

/**
 * Counts one verification by an upstream identity provider in tessera_idp_requests_total{provider,outcome}:
 * accepted, rejected (invalid_grant: the provider or its keys said no), unavailable (503: the provider, its
 * JWKS or introspection endpoint could not be reached) or error (anything else). The provider label is the
 * configured provider's name, a set the operator controls.
 */
export async function countedIdpCall<T>(ctx: OAuthContext, provider: string, verify: () => Promise<T>): Promise<T> {
  try {
    const result = await verify();
    ctx.metrics.idpOutcome(provider, 'accepted');
    return result;
  } catch (err) {
    const code = err instanceof OAuthError ? err.code : undefined;
    ctx.metrics.idpOutcome(provider, code === 'invalid_grant' ? 'rejected' : code === 'temporarily_unavailable' ? 'unavailable' : 'error');
    throw err;
  }
}
