import type { AuthMethod, Client } from '../../store/types.js';
import { getClient, type OAuthContext } from '../context.js';
import { methodAllowed } from './types.js';

/**
 * The check shared by client_secret_basic and client_secret_post: the client exists, is active, may use this
 * method, and the secret verifies. Returns undefined for every failure alike (the caller throws its own
 * invalid_client). Steady state: the client comes from the per-process cache and the secret from the
 * verified-secret cache, without a promise or a KDF; a miss pays one store read and one argon2id verification.
 */
export async function clientBySecret(ctx: OAuthContext, clientId: string, presented: string, method: AuthMethod): Promise<Client | undefined> {
  const client = ctx.clients.peek(clientId) ?? (await getClient(ctx, clientId));
  const ok = (client !== undefined && ctx.secrets.remembered(client, presented)) || (await ctx.secrets.verify(client, presented));
  if (!ok || !client || client.status !== 'active' || !methodAllowed(client, method)) return undefined;
  return client;
}
