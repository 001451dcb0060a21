import type { Store } from '../store/types.js';
import { ConflictError } from '../store/errors.js';
import { createClient, type ClientOptions } from './clients.js';
import type { ClientInput } from './client-fields.js';

/** The web console's client id (docs/console.md). */
export const CONSOLE_CLIENT_ID = 'tessera-console';

/**
 * The console's client as it is created: public (a browser holds no secret), the password grant for the
 * operator's sign-in and refresh_token for staying signed in (every refresh rotates the token; a reused one
 * revokes the family). It may be granted the admin scopes, but a user gets one only when the user's own scope
 * lists it (oauth/scope.ts OPERATOR_SCOPES), so which console an operator sees is the user's scope.
 * Short access tokens (5 minutes, refreshed by the console before they expire), sessions idle out after 30 minutes
 * and end after 12 hours.
 */
export const CONSOLE_CLIENT: Partial<ClientInput> = {
  client_id: CONSOLE_CLIENT_ID,
  name: 'Tessera web console',
  token_endpoint_auth_method: 'none',
  grant_types: ['password', 'refresh_token'],
  scope: 'tessera:admin tessera:admin:read',
  access_token_ttl: 300,
  refresh_idle_ttl: 1800,
  refresh_token_ttl: 43_200,
};

/**
 * Creates tessera-console when it is missing (start-up with config console.enabled). An existing one is left as
 * the operator set it (a changed TTL, disabled to switch console sign-in off, allowed_origins for a separate admin
 * listener). Nodes starting together race on the insert: the loser finds it there, which is the goal.
 */
export async function ensureConsoleClient(store: Store, opts: ClientOptions): Promise<boolean> {
  if (await store.clients.get(CONSOLE_CLIENT_ID)) return false;
  try {
    await createClient(store, CONSOLE_CLIENT, opts);
    return true;
  } catch (err) {
    if (err instanceof ConflictError) return false;
    throw err;
  }
}
