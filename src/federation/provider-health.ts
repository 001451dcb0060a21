import type { OAuthContext } from '../oauth/context.js';
import { OAuthError } from '../oauth/errors.js';

/**
 * Whether each identity provider answered its last call, so an outage is one `idp.unavailable` event and its
 * end one `idp.recovered` (per node, per state change), not an event per failed request. An answer that
 * rejects the token (invalid_grant) is an answer: the provider is up.
 */
export class ProviderHealth {
  private readonly down = new Set<string>();

  async observe<T>(provider: string, ctx: OAuthContext, call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.up(provider, ctx);
      return result;
    } catch (err) {
      if (err instanceof OAuthError && err.code === 'temporarily_unavailable') {
        if (!this.down.has(provider)) {
          this.down.add(provider);
          ctx.events.emit({ type: 'idp.unavailable', details: { provider, reason: err.description } });
        }
      } else if (err instanceof OAuthError) {
        this.up(provider, ctx);
      }
      throw err;
    }
  }

  private up(provider: string, ctx: OAuthContext): void {
    if (this.down.delete(provider)) ctx.events.emit({ type: 'idp.recovered', details: { provider } });
  }
}
