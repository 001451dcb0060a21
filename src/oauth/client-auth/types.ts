import type { AuthMethod, Client } from '../../store/types.js';
import type { OAuthContext } from '../context.js';
import type { TokenRequest } from '../token-request.js';

export interface AuthenticatedClient {
  client: Client;
  method: AuthMethod;
}

/**
 * One authentication method. `matches` says whether the request carries this method's credentials (used to
 * reject requests that carry two, RFC 6749 §2.3); `authenticate` verifies them or throws invalid_client.
 */
export interface ClientAuthenticator {
  readonly method: AuthMethod;
  /**
   * Methods whose credential is not in the request but in the connection (RFC 8705 mutual TLS): the request
   * carries only a client_id, as a public client's does, so such a method is chosen by the client's registered
   * token_endpoint_auth_method when no credential-carrying method matched (index.ts), never by `matches`.
   */
  readonly byRegistration?: true;
  matches(req: TokenRequest): boolean;
  /** A cache hit may answer synchronously; anything that has to wait returns a promise. */
  authenticate(req: TokenRequest, ctx: OAuthContext): Client | Promise<Client>;
}

/** Applies `then` to a value that may or may not be a promise, without a microtask when it is not. */
export function whenReady<T, R>(value: T | Promise<T>, then: (v: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(then) : then(value);
}

/** Methods a client registered with may use. Secret clients may send the secret either way (RFC 6749 §2.3.1). */
export function methodAllowed(client: Client, method: AuthMethod): boolean {
  const registered = client.tokenEndpointAuthMethod;
  if (method === 'client_secret_basic' || method === 'client_secret_post') {
    return client.secretHash !== null && (registered === 'client_secret_basic' || registered === 'client_secret_post');
  }
  return registered === method;
}
