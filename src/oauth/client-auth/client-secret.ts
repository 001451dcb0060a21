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

async function loadAndVerify(ctx: OAuthContext, clientId: string, presented: string, method: AuthMethod, address: string, alternative: string | undefined): Promise<Client | undefined> {
  const client = ctx.clients.peek(clientId) ?? (await getClient(ctx, clientId));
  // The alternative costs a second KDF for unknown and known clients alike, so timing still tells nothing.
  const use = (await ctx.secrets.verify(clientId, client, presented, address)) ?? (alternative === undefined ? undefined : await ctx.secrets.verify(clientId, client, alternative, address));
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
 * `alternative` is a second reading of the same credential (a Basic secret as sent by a client that does not
 * form-urlencode, token-request.ts): checked after `presented`, within the same throttle reservation, so such a
 * client is neither refused nor counted as a failed guess.
 */
export function clientBySecret(ctx: OAuthContext, clientId: string, presented: string, method: AuthMethod, ip: string, alternative?: string): Client | undefined | Promise<Client | undefined> {
  const cached = ctx.clients.peek(clientId);
  let use = cached === undefined ? undefined : ctx.secrets.remembered(cached, presented);
  if (use === undefined && alternative !== undefined && cached !== undefined) use = ctx.secrets.remembered(cached, alternative);
  if (use !== undefined) {
    if (ctx.limits.clientAuth.quiet(clientId)) return accepted(ctx, cached, method, use);
    return admitRemembered(ctx, clientId, ip).then(() => accepted(ctx, cached, method, use));
  }
  const scope = alternative === undefined ? `${method}\0${ip}` : `${method}\0${ip}\0${alternative}`;
  return ctx.secrets.coalesce(clientId, presented, scope, () =>
    throttledClientAuth(ctx, 'client', clientId, ip, () => loadAndVerify(ctx, clientId, presented, method, ip, alternative)),
  );
}
