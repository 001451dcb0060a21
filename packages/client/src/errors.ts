/** Fields of an RFC 6749 §5.2 error response, plus what the HTTP exchange told us. */
export interface OAuthErrorInit {
  error: string;
  error_description?: string | undefined;
  error_uri?: string | undefined;
  status: number;
  requestId?: string | undefined;
  /** Seconds from the Retry-After header (429 / 503), when the server sent one. */
  retryAfter?: number | undefined;
}

/**
 * An error response from the authorization server (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 8693 §2.2.2).
 * `requestId` is the server's X-Request-Id: quote it when asking the operator what happened.
 */
export class OAuthError extends Error {
  readonly error: string;
  readonly error_description: string | undefined;
  readonly error_uri: string | undefined;
  readonly status: number;
  readonly requestId: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(init: OAuthErrorInit) {
    super(init.error_description ? `${init.error}: ${init.error_description}` : init.error);
    this.name = 'OAuthError';
    this.error = init.error;
    this.error_description = init.error_description;
    this.error_uri = init.error_uri;
    this.status = init.status;
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
  }
}

/**
 * The refresh token of a managed session was rejected (RFC 6749 §5.2 `invalid_grant`): it expired, was revoked,
 * or was already used (RFC 9700 §4.14.2 reuse detection revokes the whole family). The cached session is dropped.
 */
export class RefreshTokenRejectedError extends OAuthError {
  constructor(init: OAuthErrorInit) {
    super(init);
    this.name = 'RefreshTokenRejectedError';
  }
}

/**
 * A refresh request may have reached the server, but its answer was lost (the connection broke after the request
 * was sent, the request timed out, or a 2xx answer could not be read). The server may have rotated the refresh
 * token already: presenting it again would then be reuse, and Tessera (like any server following RFC 9700
 * §4.14.2) revokes the whole token family. So the SDK does not send it again, unless the client was given a reuse
 * interval (`refreshRetry`) and the retry still falls inside it; the managed session drops the refresh token and
 * keeps the access token it has. `cause` is the transport error.
 */
export class RefreshResponseLostError extends Error {
  constructor(cause: unknown) {
    super('The answer to a refresh request was lost; the refresh token may be spent and is not sent again', { cause });
    this.name = 'RefreshResponseLostError';
  }
}

/** The server answered something that is not a valid OAuth response (not JSON, no access_token, ...). */
export class OAuthProtocolError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'OAuthProtocolError';
  }
}

/** A request did not complete within `timeoutMs`. */
export class OAuthTimeoutError extends Error {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`Request to ${url} timed out after ${timeoutMs} ms`);
    this.name = 'OAuthTimeoutError';
  }
}

/** RFC 8414 discovery failed or returned metadata that does not belong to the configured issuer (§3.3). */
export class DiscoveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DiscoveryError';
  }
}

/** Used for a managed session when there is nothing to obtain a token with (no grant, no refresh token). */
export class NoSessionError extends Error {
  constructor() {
    super('No token session: configure `grant` or call setTokens() with the result of a grant');
    this.name = 'NoSessionError';
  }
}
