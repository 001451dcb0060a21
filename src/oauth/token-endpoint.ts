import type { OAuthContext } from './context.js';
import { OAuthError } from './errors.js';
import { pickParameters, type TokenRequest } from './token-request.js';
import { authenticateClientNow } from './client-auth/index.js';
import { isConfidential, type TokenResponse } from './grants/types.js';
import type { Client, Confirmation } from '../store/types.js';
import type { VerifiedProof } from './dpop/proof.js';
import type { AnswerChannel } from './kdf-admission.js';
import { inSpan, tracingOn } from '../observability/tracing.js';
import { certificateConfirmation } from './mtls/binding.js';

export interface TokenOutcome {
  response: TokenResponse;
  client: Client;
  /** Response headers beyond the §5.1 ones (RFC 9449 §8.2: DPoP-Nonce). */
  headers?: Record<string, string>;
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

  // RFC 9449 §4.3: the proof's own checks are pure and come first; its single use is spent once the client is
  // known (below), so a request that fails authentication writes nothing to the replay guard.
  let proof: VerifiedProof | undefined;
  try {
    proof = ctx.dpop.check(req);
  } catch (err) {
    if (err instanceof OAuthError && err.code === 'invalid_dpop_proof') ctx.events.emit({ type: 'dpop.proof_rejected', address: req.ip, requestId: req.requestId, details: { reason: err.message } });
    throw err;
  }

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
  ctx.dpop.requireFor(client, proof);
  let confirmation: Confirmation | undefined;
  if (proof !== undefined) {
    await spendProof(ctx, proof, client, req);
    confirmation = { jkt: proof.jkt };
  }
  const params = pickParameters(req.params, ctx.grants.allowedParameters(handler));
  // RFC 8705 §3: bound to the client certificate when the client authenticated with it or asked for binding.
  const certificate = req.clientCertificate || client.tlsClientCertificateBoundAccessTokens ? certificateConfirmation(req, client, method) : undefined;
  if (certificate) confirmation = { ...confirmation, ...certificate };
  const grantReq = { grantType, params, ip: req.ip, requestId: req.requestId, answer: hooks.answer, confirmation };
  const response = await (tracingOn() ? inSpan(`grant ${handler.grantType}`, { 'oauth.grant_type': grantType, 'oauth.client_id': client.clientId }, () => handler.handle(grantReq, client, ctx)) : handler.handle(grantReq, client, ctx));
  // Counted here, where every grant ends (client_credentials answers without issueTokens): one increment of a
  // cached cell, labelled by the registered grant type (bounded), never by the raw parameter.
  ctx.metrics.tokenIssued(handler.grantType, client.clientId);
  // Every grant ends here, client_credentials included (it does not go through issueTokens). The hot path asks
  // the hub first: with events.issued off no sink takes token.issued and no event is built.
  if (ctx.events.wants('token.issued')) {
    ctx.events.emit({ type: 'token.issued', clientId: client.clientId, subject: null, address: req.ip, requestId: req.requestId, details: { grant_type: handler.grantType, scope: response.scope, refresh_token: response.refresh_token !== undefined } });
  }
  return { response, client, headers: ctx.dpop.responseHeaders() };
}

/** RFC 9449 §11.1: a replayed proof is refused, and reported (a captured proof replayed by someone else). */
async function spendProof(ctx: OAuthContext, proof: VerifiedProof, client: Client, req: TokenRequest): Promise<void> {
  try {
    await ctx.dpop.spend(proof);
  } catch (err) {
    if (err instanceof OAuthError) ctx.events.emit({ type: 'dpop.proof_rejected', clientId: client.clientId, address: req.ip, requestId: req.requestId, details: { reason: 'replayed_jti', jkt: proof.jkt } });
    throw err;
  }
}
