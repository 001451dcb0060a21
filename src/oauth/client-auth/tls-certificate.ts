import type { AuthMethod, Client } from '../../store/types.js';
import type { OAuthContext } from '../context.js';
import { getClient } from '../context.js';
import { OAuthError } from '../errors.js';
import type { ClientCertificate } from '../mtls/client-certificate.js';
import type { TokenRequest } from '../token-request.js';
import { methodAllowed } from './types.js';

/** A refused mutual-TLS authentication: the reason goes to the debug log, the client sees invalid_client. */
export function certificateRefused(ctx: OAuthContext, method: AuthMethod, clientId: string, reason: string): OAuthError {
  ctx.logger.debug({ client_id: clientId, method, reason }, 'client certificate refused');
  return OAuthError.invalidClient();
}

/**
 * The shared part of both RFC 8705 methods: the client named by client_id, active and registered for `method`,
 * and the certificate of the request (a request without one gets a description saying so: the client did not
 * misuse a credential, it forgot to present it).
 */
export async function certificateClient(req: TokenRequest, ctx: OAuthContext, method: AuthMethod): Promise<{ client: Client; presented: ClientCertificate }> {
  const clientId = req.params.get('client_id');
  if (clientId === undefined) throw OAuthError.invalidClient('Client authentication is required');
  const client = await getClient(ctx, clientId);
  if (!client || client.status !== 'active' || !methodAllowed(client, method)) throw certificateRefused(ctx, method, clientId, 'unknown, disabled or not registered for this method');
  const presented = req.clientCertificate;
  if (!presented) throw OAuthError.invalidClient(`This client authenticates with a TLS client certificate (${method}, RFC 8705); none was presented`);
  return { client, presented };
}
