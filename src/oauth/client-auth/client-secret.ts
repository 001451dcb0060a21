import type { AuthMethod, Client } from '../../store/types.js';
import { getClient, type OAuthContext } from '../context.js';
import { admitRemembered, throttledClientAuth } from './throttle.js';
import { methodAllowed } from './types.js';

function usable(client: Client | undefined, method: AuthMethod): Client | undefined {
  return client && client.status === 'active' && methodAllowed(client, method) ? client : undefined;
}

async function loadAndVerify(ctx: OAuthContext, clientId: string, presented: string, method: AuthMethod, address: string): Promise<Client | undefined> {
  const client = ctx.clients.peek(clientId) ?? (await getClient(ctx, clientId));
  return (await ctx.secrets.verify(clientId, client, presented, address)) ? usable(client, method) : undefined;
}

/**
 * The check shared by client_secret_basic and client_secret_post: the client exists, is active, may use this
 * method, and the secret verifies. Undefined for every failure alike (the caller throws its own invalid_client).
 * Steady state — the client in the per-process cache, this secret already verified, and no failure seen for the
 * client lately — is decided synchronously (no promise, no KDF, no throttle). Anything else runs under the
 * client-auth throttle (throttle.ts): one store read and one argon2id verification per reserved attempt, shared
 * by identical attempts in flight (a client's burst after a restart costs one KDF and one reservation).
 */
export function clientBySecret(ctx: OAuthContext, clientId: string, presented: string, method: AuthMethod, ip: string): Client | undefined | Promise<Client | undefined> {
  const cached = ctx.clients.peek(clientId);
  if (cached !== undefined && ctx.secrets.remembered(cached, presented)) {
    if (ctx.limits.clientAuth.quiet(clientId)) return usable(cached, method);
    return admitRemembered(ctx, clientId, ip).then(() => usable(cached, method));
  }
  return ctx.secrets.coalesce(clientId, presented, `${method}\0${ip}`, () =>
    throttledClientAuth(ctx, 'client', clientId, ip, () => loadAndVerify(ctx, clientId, presented, method, ip)),
  );
}
