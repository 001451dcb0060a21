import { timingSafeEqual } from 'node:crypto';
import type { Client, Store } from '../store/types.js';
import { randomToken } from '../crypto/random.js';
import { hashToken } from '../crypto/token-hash.js';
import { verifySecret } from '../crypto/password-hash.js';
import type { ClientInput } from './client-fields.js';
import { createClient, deleteClient, getClient, updateClient, type ClientOptions } from './clients.js';
import { isSecretMethod } from './client-rules.js';
import { AdminValidationError, type Problem } from './problems.js';
import { splitScope } from './scope.js';

/**
 * Dynamic client registration (RFC 7591) and client management by the client itself (RFC 7592), as a thin
 * mapping onto the client service (clients.ts): the same field table, rules and messages as the CLI, the import
 * document and the admin API. A self-registered client is an ordinary client; what it may ask for is narrowed by
 * the operator's allow-list (config `registration`).
 */

/** The scope an initial access token (RFC 7591 §3) must carry. */
export const REGISTER_SCOPE = 'tessera:register';

/** What a self-registered client may ask for (config `registration`). */
export interface RegistrationPolicy {
  grantTypes: readonly string[];
  authMethods: readonly string[];
  /** Only these scopes; absent: any scope but Tessera's own (tessera:*). */
  scopes?: readonly string[] | undefined;
}

/** RFC 7591 §3.2.2 refusal: the code and one problem per field, named as the RFC names it. */
export class RegistrationError extends Error {
  constructor(
    readonly code: 'invalid_client_metadata' | 'invalid_redirect_uri',
    readonly problems: readonly Problem[],
  ) {
    super(problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`)).join('; '));
    this.name = 'RegistrationError';
  }
}

// RFC 7591 §2 metadata this server stores, and the client field each one is (every other name is the same).
const WIRE_TO_FIELD: Readonly<Record<string, keyof ClientInput>> = { client_name: 'name', grant_types: 'grant_types', token_endpoint_auth_method: 'token_endpoint_auth_method', scope: 'scope', jwks: 'jwks', jwks_uri: 'jwks_uri' };
const FIELD_TO_WIRE: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(WIRE_TO_FIELD).map(([w, f]) => [f, w]));

// RFC 7591 §3.2.1 / RFC 7592 §2.2: values the server sets, which a request may not carry.
const SERVER_SET = ['client_id_issued_at', 'client_secret_expires_at', 'registration_access_token', 'registration_client_uri'];

/**
 * What a registration omits (RFC 7591 §2 allows the server its own defaults; the answer states them): a
 * confidential machine client authenticated by HTTP Basic, with no scope. RFC 7591's default grant,
 * authorization_code, does not exist on this token-only server.
 */
const DEFAULTS = { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: '' };

const isTesseraScope = (s: string) => s.startsWith('tessera:');

/** The problems of one request's allow-listed values; values of the wrong type are left to the field rules. */
function policyProblems(input: Partial<ClientInput>, policy: RegistrationPolicy): Problem[] {
  const out: Problem[] = [];
  if (Array.isArray(input.grant_types)) {
    for (const g of input.grant_types) if (typeof g === 'string' && !policy.grantTypes.includes(g)) out.push({ path: 'grant_types', message: `"${g}" is not allowed for self-registered clients (allowed: ${policy.grantTypes.join(', ')})` });
  }
  const method = input.token_endpoint_auth_method;
  if (typeof method === 'string' && !policy.authMethods.includes(method)) out.push({ path: 'token_endpoint_auth_method', message: `"${method}" is not allowed for self-registered clients (allowed: ${policy.authMethods.join(', ')})` });
  if (typeof input.scope === 'string') {
    for (const s of splitScope(input.scope)) {
      const allowed = policy.scopes ? policy.scopes.includes(s) : !isTesseraScope(s);
      if (!allowed) out.push({ path: 'scope', message: policy.scopes ? `"${s}" is not allowed for self-registered clients (allowed: ${policy.scopes.join(' ') || 'none'})` : `"${s}" is a Tessera management scope, not allowed for self-registered clients` });
    }
  }
  return out;
}

/**
 * The client input a registration (or an RFC 7592 §2.2 replacement) states: RFC 7591 names mapped to the field
 * table, the server's defaults for what is omitted, refusals for what this server cannot honour. Metadata it does
 * not store (client_uri, logo_uri, contacts, software_id, ...) is ignored, as RFC 7591 §2 allows.
 */
export function registrationInput(metadata: Record<string, unknown>, policy: RegistrationPolicy, mode: 'create' | 'replace'): Partial<ClientInput> {
  // RFC 7591 §2: redirect URIs serve redirect-based grants, and this server has none (no authorization endpoint).
  const redirects = metadata.redirect_uris;
  if (redirects !== undefined && !(Array.isArray(redirects) && redirects.length === 0)) {
    throw new RegistrationError('invalid_redirect_uri', [{ path: 'redirect_uris', message: 'this server has no redirect-based grants (authorization_code, implicit); leave redirect_uris out' }]);
  }
  const problems: Problem[] = [];
  const responseTypes = metadata.response_types;
  if (responseTypes !== undefined && !(Array.isArray(responseTypes) && responseTypes.length === 0)) problems.push({ path: 'response_types', message: 'this server has no authorization endpoint; leave response_types out' });
  for (const name of SERVER_SET) if (Object.hasOwn(metadata, name)) problems.push({ path: name, message: 'is set by the server' });
  if (mode === 'create' && Object.hasOwn(metadata, 'client_id')) problems.push({ path: 'client_id', message: 'is assigned by the server' });
  if (mode === 'create' && Object.hasOwn(metadata, 'client_secret')) problems.push({ path: 'client_secret', message: 'is issued by the server' });
  // RFC 7591 §2: "jwks_uri and jwks parameters MUST NOT both be present".
  if (metadata.jwks !== undefined && metadata.jwks !== null && metadata.jwks_uri !== undefined && metadata.jwks_uri !== null) problems.push({ path: 'jwks', message: 'jwks and jwks_uri must not both be present' });
  const input: Record<string, unknown> = { ...DEFAULTS };
  for (const [wire, field] of Object.entries(WIRE_TO_FIELD)) {
    const v = metadata[wire];
    // null in a replacement (RFC 7592 §2.2) means "reset", as omitting it does.
    if (v !== undefined && v !== null) input[field] = v;
  }
  problems.push(...policyProblems(input as Partial<ClientInput>, policy));
  if (problems.length > 0) throw new RegistrationError('invalid_client_metadata', problems);
  return input as Partial<ClientInput>;
}

/** The field rules' refusal in RFC 7591 terms: the same messages, the fields named as the RFC names them. */
function asRegistrationError(err: unknown): unknown {
  if (!(err instanceof AdminValidationError)) return err;
  return new RegistrationError(
    'invalid_client_metadata',
    err.problems.map((p) => ({ path: FIELD_TO_WIRE[p.path] ?? p.path, message: p.message })),
  );
}

/** RFC 7591 §3.2.1 / RFC 7592 §3: the client information response (never a stored secret: it is hashed). */
export function clientInformation(c: Client, extra: { registrationAccessToken: string; registrationClientUri: string; clientSecret?: string }): Record<string, unknown> {
  return {
    client_id: c.clientId,
    ...(extra.clientSecret !== undefined ? { client_secret: extra.clientSecret } : {}),
    client_id_issued_at: c.createdAt,
    // RFC 7591 §3.2.1: when the secret expires (an operator may set it), 0 when it does not; present whenever
    // the client has one.
    ...(c.secretHash !== null ? { client_secret_expires_at: c.secretExpiresAt ?? 0 } : {}),
    registration_access_token: extra.registrationAccessToken,
    registration_client_uri: extra.registrationClientUri,
    ...(c.name !== null ? { client_name: c.name } : {}),
    grant_types: c.grantTypes,
    token_endpoint_auth_method: c.tokenEndpointAuthMethod,
    scope: c.scope.join(' '),
    ...(c.jwks !== null ? { jwks: c.jwks } : {}),
    ...(c.jwksUri !== null ? { jwks_uri: c.jwksUri } : {}),
  };
}

/** A registered client, its generated secret (secret methods) and its registration access token, each shown once. */
export interface Registered {
  client: Client;
  secret?: string;
  registrationAccessToken: string;
}

/** RFC 7591 §3: registers a client for the holder of an initial access token issued to `registeredBy`. */
export async function registerClient(store: Store, metadata: Record<string, unknown>, policy: RegistrationPolicy, registeredBy: string, opts: ClientOptions): Promise<Registered> {
  const input = registrationInput(metadata, policy, 'create');
  const registrationAccessToken = randomToken(32);
  try {
    const { client, secret } = await createClient(store, input, opts, (tx, c) => tx.clientRegistrations.create({ clientId: c.clientId, tokenHash: hashToken(registrationAccessToken), registeredBy }).then(() => undefined));
    return { client, registrationAccessToken, ...(secret !== undefined ? { secret } : {}) };
  } catch (err) {
    throw asRegistrationError(err);
  }
}

/**
 * RFC 7592 §2: the client a registration access token manages, or undefined for any refusal: no such client, a
 * client not registered dynamically, a wrong token. §2 answers each alike (401), so none reveals that a client exists.
 */
export async function registeredClient(store: Store, clientId: string, presented: string): Promise<Client | undefined> {
  const reg = await store.clientRegistrations.get(clientId);
  if (!reg) return undefined;
  const a = Buffer.from(hashToken(presented), 'hex');
  const b = Buffer.from(reg.tokenHash, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
  return store.clients.get(clientId);
}

/**
 * RFC 7592 §2.2: replaces the client's metadata with the request's (omitted values take the defaults again). The
 * request names the client's own client_id; a client_secret, if sent, must be the current one and is never
 * replaced by the client's choice. A change between a secret method and a key or public method is refused: the
 * secret would be left behind or missing (register a new client instead).
 */
export async function replaceRegistration(store: Store, client: Client, metadata: Record<string, unknown>, policy: RegistrationPolicy, opts: ClientOptions): Promise<Client> {
  if (metadata.client_id !== client.clientId) throw new RegistrationError('invalid_client_metadata', [{ path: 'client_id', message: 'is required and must be the client\'s own client_id' }]);
  if (metadata.client_secret !== undefined) {
    const matches = typeof metadata.client_secret === 'string' && client.secretHash !== null && (await verifySecret(client.secretHash, metadata.client_secret));
    if (!matches) throw new RegistrationError('invalid_client_metadata', [{ path: 'client_secret', message: 'does not match the current client secret (it cannot be chosen by the client)' }]);
  }
  const { client_id: _id, client_secret: _secret, ...rest } = metadata;
  const input = registrationInput(rest, policy, 'replace');
  const method = input.token_endpoint_auth_method ?? 'client_secret_basic';
  if (isSecretMethod(method) !== isSecretMethod(client.tokenEndpointAuthMethod)) {
    throw new RegistrationError('invalid_client_metadata', [{ path: 'token_endpoint_auth_method', message: `cannot change from "${client.tokenEndpointAuthMethod}" to "${method}" (between secret and non-secret methods); register a new client` }]);
  }
  const patch = { name: input.name ?? null, grant_types: input.grant_types!, token_endpoint_auth_method: method, scope: input.scope ?? '', jwks: input.jwks ?? null, jwks_uri: input.jwks_uri ?? null };
  try {
    return await updateClient(store, client.clientId, patch, opts);
  } catch (err) {
    throw asRegistrationError(err);
  }
}

/** RFC 7592 §2.3: deletes the client (its tokens stop working) and with it the registration. */
export async function deleteRegistration(store: Store, clientId: string): Promise<void> {
  await getClient(store, clientId);
  await deleteClient(store, clientId);
}
