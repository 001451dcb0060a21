/** RFC 6749 §5.1 (and RFC 8693 §2.2.1) successful token response, as sent by the server. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
  /** RFC 8693 §2.2.1, token exchange only. */
  issued_token_type?: string;
  [field: string]: unknown;
}

/** A token response plus when its access token expires (milliseconds since the epoch, measured from the request). */
export type TokenResult = TokenResponse & { expiresAt: number | undefined };

/** RFC 7662 §2.2 introspection response. */
export interface IntrospectionResponse {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  jti?: string;
  [field: string]: unknown;
}

/** Scope as the wire wants it (RFC 6749 §3.3: space-delimited), or as a list. */
export type ScopeInput = string | readonly string[];

export interface RequestOptions {
  /** Abort the request (and any retry wait) early. */
  signal?: AbortSignal;
}

export interface ExchangeParams extends RequestOptions {
  subjectToken: string;
  /** RFC 8693 §3 token type URI, e.g. urn:ietf:params:oauth:token-type:access_token. */
  subjectTokenType: string;
  actorToken?: string;
  actorTokenType?: string;
  audience?: string | readonly string[];
  resource?: string | readonly string[];
  scope?: ScopeInput;
  requestedTokenType?: string;
}

/** RFC 8707 resource indicators (each repeated on the wire) and the `audience` alias: the token's `aud`. */
export interface TargetOptions {
  audience?: string | readonly string[];
  resource?: string | readonly string[];
}

/** A grant the client may run again by itself whenever it needs a new token (no user password is ever kept). */
export type ManagedGrant =
  | { type: 'client_credentials'; scope?: ScopeInput; audience?: string | readonly string[]; resource?: string | readonly string[] }
  | { type: 'org_implicit'; orgId: string; scope?: ScopeInput; audience?: string | readonly string[]; resource?: string | readonly string[] }
  | ({ type: 'token_exchange' } & Omit<ExchangeParams, 'signal'>);

export const TOKEN_TYPE = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const;
