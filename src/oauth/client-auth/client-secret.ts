import type { AuthMethod, Client } from '../../store/types.js';
import { getClient, type OAuthContext } from '../context.js';
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
 * Steady state — the client in the per-process cache and this secret already verified — is decided
 * synchronously (no promise, no KDF); anything else pays one store read and one argon2id verification, admitted
 * per source `address` (the request's, kdf-admission.ts).
 */
export function clientBySecret(ctx: OAuthContext, clientId: string, presented: string, method: AuthMethod, address: string): Client | undefined | Promise<Client | undefined> {
  const cached = ctx.clients.peek(clientId);
  if (cached !== undefined && ctx.secrets.remembered(cached, presented)) return usable(cached, method);
  return loadAndVerify(ctx, clientId, presented, method, address);
}
