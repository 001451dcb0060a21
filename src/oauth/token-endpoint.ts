import type { OAuthContext } from './context.js';
import { OAuthError } from './errors.js';
import { pickParameters, type TokenRequest } from './token-request.js';
import { authenticateClientNow } from './client-auth/index.js';
import { isConfidential, type TokenResponse } from './grants/types.js';
import type { Client } from '../store/types.js';
import type { AnswerChannel } from './kdf-admission.js';
import { inSpan, tracingOn } from '../observability/tracing.js';
import { certificateConfirmation } from './mtls/binding.js';

export interface TokenOutcome {
  response: TokenResponse;
  client: Client;
}

/**
 * The spine of the token endpoint: parse (done by the caller) -> authenticate client -> dispatch grant -> issue.
 * Throws OAuthError for every failure; the HTTP layer renders it.
 */
export async function handleTokenRequest(req: TokenRequest, ctx: OAuthContext, hooks: { afterAuth?: (client: Client) => Promise<void> | undefined; answer?: AnswerChannel } = {}): Promise<TokenOutcome> {
  const grantType = req.params.get('grant_type');
  if (grantType === undefined) throw OAuthError.invalidRequest('The grant_type parameter is missing');
  const handler = ctx.grants.exact(grantType) ?? (await ctx.grants.find(grantType, ctx));
  if (!handler) throw OAuthError.unsupportedGrantType('The grant type is not supported by this server');

  // authenticateClientNow: a cached client costs no promise (a synchronous refusal still rejects this function).
  const auth = tracingOn() ? inSpan('client authentication', {}, () => authenticateClientNow(req, ctx)) : authenticateClientNow(req, ctx);
  const { client, method } = auth instanceof Promise ? await auth : auth;
  const limited = hooks.afterAuth?.(client);
  if (limited) await limited;

  if (!client.grantTypes.includes(handler.grantType) && !client.grantTypes.includes(grantType)) {
    throw OAuthError.unauthorizedClient('This client is not allowed to use this grant type');
  }
  if (handler.confidentialOnly && !isConfidential(client)) {
    throw OAuthError.unauthorizedClient('This grant type requires a confidential client');
  }
  const params = pickParameters(req.params, ctx.grants.allowedParameters(handler));
  // RFC 8705 §3: bound to the client certificate when the client authenticated with it or asked for binding.
  const cnf = req.clientCertificate || client.tlsClientCertificateBoundAccessTokens ? certificateConfirmation(req, client, method) : undefined;
  const grantReq = { grantType, params, ip: req.ip, requestId: req.requestId, answer: hooks.answer, cnf };
  const response = await (tracingOn() ? inSpan(`grant ${handler.grantType}`, { 'oauth.grant_type': grantType, 'oauth.client_id': client.clientId }, () => handler.handle(grantReq, client, ctx)) : handler.handle(grantReq, client, ctx));
  // Counted here, where every grant ends (client_credentials answers without issueTokens): one increment of a
  // cached cell, labelled by the registered grant type (bounded), never by the raw parameter.
  ctx.metrics.tokenIssued(handler.grantType, client.clientId);
  // Every grant ends here, client_credentials included (it does not go through issueTokens). The hot path asks
  // the hub first: with events.issued off no sink takes token.issued and no event is built.
  if (ctx.events.wants('token.issued')) {
    ctx.events.emit({ type: 'token.issued', clientId: client.clientId, subject: null, address: req.ip, requestId: req.requestId, details: { grant_type: handler.grantType, scope: response.scope, refresh_token: response.refresh_token !== undefined } });
  }
  return { response, client };
}
