import type { AuthMethod, Client } from '../../store/types.js';
import { getClient, type OAuthContext } from '../context.js';
import type { SecretUse } from './secret-usage.js';
import { admitRemembered, throttledClientAuth } from './throttle.js';
import { methodAllowed } from './types.js';

function usable(client: Client | undefined, method: AuthMethod): Client | undefined {
  return client && client.status === 'active' && methodAllowed(client, method) ? client : undefined;
}

/** The client when it may authenticate this way, counting the use of the secret that matched (two assignments). */
function accepted(ctx: OAuthContext, client: Client | undefined, method: AuthMethod, use: SecretUse): Client | undefined {
  const ok = usable(client, method);
  if (ok !== undefined) {
    use.uses++;
    use.lastUsedAt = ctx.now();
  }
  return ok;
}

async function loadAndVerify(ctx: OAuthContext, clientId: string, presented: string, method: AuthMethod, address: string): Promise<Client | undefined> {
  const client = ctx.clients.peek(clientId) ?? (await getClient(ctx, clientId));
  const use = await ctx.secrets.verify(clientId, client, presented, address);
  return use === undefined ? undefined : accepted(ctx, client, method, use);
}

/**
 * The check shared by client_secret_basic and client_secret_post: the client exists, is active, may use this
 * method, and the secret verifies against one of its live secrets (the current one, or the one a rotation kept).
 * Undefined for every failure alike (the caller throws its own invalid_client). Steady state — the client in the
 * per-process cache, this secret already verified, and no failure seen for the client lately — is decided
 * synchronously (one cache lookup, no promise, no KDF, no throttle). Anything else runs under the client-auth
 * throttle (throttle.ts): one store read and one argon2id verification per live secret per reserved attempt,
 * shared by identical attempts in flight (a client's burst after a restart costs one KDF and one reservation).
 */
export function clientBySecret(ctx: OAuthContext, clientId: string, presented: string, method: AuthMethod, ip: string): Client | undefined | Promise<Client | undefined> {
  const cached = ctx.clients.peek(clientId);
  const use = cached === undefined ? undefined : ctx.secrets.remembered(cached, presented);
  if (use !== undefined) {
    if (ctx.limits.clientAuth.quiet(clientId)) return accepted(ctx, cached, method, use);
    return admitRemembered(ctx, clientId, ip).then(() => accepted(ctx, cached, method, use));
  }
  return ctx.secrets.coalesce(clientId, presented, `${method}\0${ip}`, () =>
    throttledClientAuth(ctx, 'client', clientId, ip, () => loadAndVerify(ctx, clientId, presented, method, ip)),
  );
}
