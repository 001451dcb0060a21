import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { OAuthError } from '../../oauth/errors.js';
import type { Client } from '../../store/types.js';
import { clientInformation, deleteRegistration, REGISTER_SCOPE, registerClient, RegistrationError, registeredClient, replaceRegistration, type RegistrationPolicy } from '../../admin/registration.js';
import { AdminNotFoundError } from '../../admin/problems.js';
import { bearerToken, checkBearerThrottled } from '../admin/auth.js';
import { limitByIp } from '../rate-limit.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { OAuthErrorBody } from '../schemas.js';
import { ENDPOINTS } from '../../endpoints.js';
import type { RoutePlugin } from '../plugins.js';
import { ClientIdParam, ClientInformation, ClientMetadataBody, ClientUpdateBody, REGISTRATION_SECURITY } from './schemas.js';

/** RFC 6750 §3: the challenge of the registration endpoints; with an error code when a token was presented. */
function challenge(realm: string, error?: string, description?: string): Record<string, string> {
  return { 'www-authenticate': `Bearer realm="${realm}"${error ? `, error="${error}"` : ''}${description ? `, error_description="${description}"` : ''}${error === 'insufficient_scope' ? `, scope="${REGISTER_SCOPE}"` : ''}` };
}

const INITIAL_REALM = 'tessera-register';
const NO_INITIAL_TOKEN = new OAuthError('invalid_token', `An initial access token (an access token of this server with scope ${REGISTER_SCOPE}) is required`, 401, challenge(INITIAL_REALM));
const BAD_INITIAL_TOKEN = new OAuthError('invalid_token', 'The initial access token is invalid, expired or revoked', 401, challenge(INITIAL_REALM, 'invalid_token', 'The access token is invalid, expired or revoked'));
const WRONG_AUDIENCE = new OAuthError('invalid_token', 'The initial access token is meant for another audience, not this server (RFC 9068 4)', 401, challenge(INITIAL_REALM, 'invalid_token', 'The access token audience is not this server'));
const NO_REGISTER_SCOPE = new OAuthError('insufficient_scope', `The initial access token lacks the scope ${REGISTER_SCOPE}`, 403, challenge(INITIAL_REALM, 'insufficient_scope', 'The access token lacks the registration scope'));
// RFC 7592 §2: a wrong token and an unknown client get the same 401, so neither reveals that a client exists.
const BAD_REGISTRATION_TOKEN = new OAuthError('invalid_token', 'The registration access token is invalid, or the client does not exist', 401, challenge('tessera-client-configuration', 'invalid_token', 'The registration access token is invalid'));

/** RFC 7591 §3.1: the metadata is a JSON object; anything else is refused as invalid metadata (§3.2.2). */
function metadataOf(request: FastifyRequest): Record<string, unknown> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const refuse = (message: string) => new OAuthError('invalid_client_metadata', message, 400);
  if (type !== 'application/json') throw refuse('The request body must be application/json (RFC 7591 §3.1)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof request.body === 'string' ? request.body : '');
  } catch {
    throw refuse('The request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw refuse('The request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** The service's refusals as RFC 7591 §3.2.2 errors (the same messages as every other management surface). */
async function asOAuth<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof RegistrationError) throw new OAuthError(err.code, err.message, 400);
    // Deleted by another request meanwhile: as for any client that does not exist (RFC 7592 §2).
    if (err instanceof AdminNotFoundError) throw BAD_REGISTRATION_TOKEN;
    throw err;
  }
}

const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('pragma', 'no-cache');

type ClientRequest = FastifyRequest<{ Params: { client_id: string } }>;

/**
 * Dynamic client registration (RFC 7591) at /oauth/register and the client configuration endpoint (RFC 7592) at
 * /oauth/register/{client_id}, mounted only when config `registration.enabled` is on (off: both are 404 and the
 * metadata does not list registration_endpoint). Thin over admin/registration.ts; errors in the RFC 6749 §5.2 shape.
 */
export const registrationRoutes: RoutePlugin = (app, ctx: OAuthContext) => {
  const settings = ctx.config.registration;
  if (!settings.enabled) return;
  const policy: RegistrationPolicy = { grantTypes: settings.grantTypes, authMethods: settings.authMethods, scopes: settings.scopes };
  const opts = { masterKey: ctx.masterKey, defaults: { accessTokenTtl: ctx.config.accessTokenTtl } };
  const url = ENDPOINTS.register;
  const clientUri = (clientId: string) => `${ctx.config.issuer}${url}/${encodeURIComponent(clientId)}`;
  const audit = (request: FastifyRequest, actor: string, action: string, clientId: string) =>
    ctx.events.emit({ type: 'admin.change', clientId, address: request.ip, requestId: request.id, actor: { kind: 'admin_api', id: actor }, details: { resource: 'client', action, client_id: clientId } });

  /** The client the request's registration access token manages (RFC 7592 §2), or the 401. */
  async function managed(request: ClientRequest): Promise<{ client: Client; token: string }> {
    const token = bearerToken(request.headers.authorization);
    const client = token === undefined ? undefined : await registeredClient(ctx.store, request.params.client_id, token);
    if (!client || token === undefined) throw BAD_REGISTRATION_TOKEN;
    return { client, token };
  }

  app.post(
    url,
    { schema: { summary: 'Dynamic client registration (RFC 7591)', security: REGISTRATION_SECURITY, body: ClientMetadataBody, response: { 201: ClientInformation, '4xx': OAuthErrorBody } } },
    async (request, reply) => {
      await limitByIp(request, reply, ctx);
      // RFC 7591 §3: the initial access token, checked before the body so that no one without it learns the rules.
      const check = await checkBearerThrottled(ctx, request.headers.authorization, request.ip);
      if (check.kind === 'missing') throw NO_INITIAL_TOKEN;
      if (check.kind === 'invalid') throw BAD_INITIAL_TOKEN;
      if (check.kind === 'wrong_audience') throw WRONG_AUDIENCE;
      if (!check.scopes.includes(REGISTER_SCOPE)) throw NO_REGISTER_SCOPE;
      const metadata = metadataOf(request);
      const reg = await asOAuth(() => registerClient(ctx.store, metadata, policy, check.clientId, opts));
      audit(request, check.clientId, 'register', reg.client.clientId);
      noStore(reply).code(201);
      return clientInformation(reg.client, { registrationAccessToken: reg.registrationAccessToken, registrationClientUri: clientUri(reg.client.clientId), ...(reg.secret !== undefined ? { clientSecret: reg.secret } : {}) });
    },
  );

  const configUrl = `${url}/:client_id`;
  const doc = (summary: string, extra: Record<string, unknown>) => ({ schema: { summary, security: REGISTRATION_SECURITY, params: ClientIdParam, ...extra } });

  app.get(configUrl, doc('Read a registered client (RFC 7592 §2.1)', { response: { 200: ClientInformation, '4xx': OAuthErrorBody } }), async (request: ClientRequest, reply) => {
    await limitByIp(request, reply, ctx);
    const { client, token } = await managed(request);
    noStore(reply);
    return clientInformation(client, { registrationAccessToken: token, registrationClientUri: clientUri(client.clientId) });
  });

  app.put(configUrl, doc('Replace a registered client\'s metadata (RFC 7592 §2.2)', { body: ClientUpdateBody, response: { 200: ClientInformation, '4xx': OAuthErrorBody } }), async (request: ClientRequest, reply) => {
    await limitByIp(request, reply, ctx);
    const { client, token } = await managed(request);
    const metadata = metadataOf(request);
    const updated = await asOAuth(() => replaceRegistration(ctx.store, client, metadata, policy, opts));
    audit(request, client.clientId, 'update', client.clientId);
    noStore(reply);
    return clientInformation(updated, { registrationAccessToken: token, registrationClientUri: clientUri(client.clientId) });
  });

  app.delete(configUrl, doc('Delete a registered client (RFC 7592 §2.3)', { response: { 204: { type: 'null' }, '4xx': OAuthErrorBody } }), async (request: ClientRequest, reply) => {
    await limitByIp(request, reply, ctx);
    const { client } = await managed(request);
    await asOAuth(() => deleteRegistration(ctx.store, client.clientId));
    audit(request, client.clientId, 'delete', client.clientId);
    return noStore(reply).code(204).send();
  });

  methodNotAllowed(app, url, ['POST']);
  methodNotAllowed(app, configUrl, ['GET', 'HEAD', 'PUT', 'DELETE']);
};
