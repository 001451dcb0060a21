/**
 * The one error type that crosses layers. Handlers throw it; the HTTP error handler turns it into
 * the RFC 6749 §5.2 JSON body. Descriptions are safe for clients: never a secret, a token or an internal detail.
 */
export type OAuthErrorCode =
  // RFC 6749 §5.2
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  // RFC 6749 §4.1.2.1 (used for infrastructure outages and internal failures)
  | 'server_error'
  | 'temporarily_unavailable'
  // RFC 7009 §2.2.1
  | 'unsupported_token_type'
  // RFC 8693 §2.2.2
  | 'invalid_target'
  // RFC 6750 §3.1
  | 'invalid_token'
  | 'insufficient_scope'
  // RFC 7591 §3.2.2 (dynamic client registration)
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'invalid_software_statement'
  // RFC 9449 §5, §8 (DPoP)
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  // RFC 6585 (rate limiting; not an RFC 6749 code, but the body keeps the §5.2 shape)
  | 'too_many_requests'
  // HTTP-level failures that still answer with the §5.2 shape
  | 'method_not_allowed'
  | 'not_found';

/**
 * A finer reason inside an RFC code, for clients that tell failures apart by it. `invalid_signature`: a
 * request-signature (Cobo "CoboAuth") refusal, still RFC 6749's invalid_client. On the wire it prefixes the
 * description (`invalid_signature: ...`), the form those clients already match on.
 */
export type OAuthErrorSubcode = 'invalid_signature';

/** The realm of Tessera's HTTP Basic challenge (client_secret_basic, RFC 6749 §2.3.1). */
const BASIC_REALM = 'tessera';

/** RFC 7617 §2: the Basic challenge, announcing that credentials are UTF-8. */
function basicChallenge(realm = BASIC_REALM): string {
  return `Basic realm="${realm}", charset="UTF-8"`;
}

/** RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (printable ASCII without `"` and `\`). */
const OUTSIDE_DESCRIPTION_SET = /[^\x20\x21\x23-\x5B\x5D-\x7E]/;

/**
 * A description within RFC 6749 §5.2's character set, whatever a caller passed (a library's message, a name from
 * configuration): `"` becomes `'`, `\` becomes `/`, whitespace becomes a space, any other character
 * outside the set (a code point, so an emoji is one) `?`.
 * Descriptions are written within the set; this is the guarantee for the ones built from text we do not control.
 */
export function safeDescription(text: string): string {
  if (!OUTSIDE_DESCRIPTION_SET.test(text)) return text;
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/gu, (c) => (c === '"' ? "'" : c === '\\' ? '/' : /\s/.test(c) ? ' ' : '?'));
}

/** RFC 9449 §7.1: the DPoP authentication scheme's challenge (`algs` lists what proofs may be signed with). */
export function dpopChallenge(error: string | undefined, description: string | undefined, algs: readonly string[]): string {
  const parts: string[] = [];
  if (error !== undefined) parts.push(`error="${error}"`);
  if (description !== undefined) parts.push(`error_description="${description}"`);
  parts.push(`algs="${algs.join(' ')}"`);
  return `DPoP ${parts.join(', ')}`;
}

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly subcode: OAuthErrorSubcode | undefined;

  constructor(code: OAuthErrorCode, description: string, status = 400, headers: Record<string, string> = {}, subcode?: OAuthErrorSubcode) {
    // The one §5.2 serialiser (toJSON) sends the message as error_description: it is made safe here, once.
    super(safeDescription(description));
    this.name = 'OAuthError';
    this.code = code;
    this.status = status;
    this.subcode = subcode;
    // RFC 9110 §15.5.2 / §11.6.1: a 401 MUST carry a WWW-Authenticate challenge. Every endpoint that can answer 401
    // (token, revocation, introspection) accepts client_secret_basic, so Basic is the challenge a 401 that did not
    // choose its own gets; built here so that no refusal, whichever layer throws it, can go out without one.
    this.headers = status === 401 && headers['www-authenticate'] === undefined ? { ...headers, 'www-authenticate': basicChallenge() } : headers;
  }

  /** error_description as sent: the message, after the subcode when there is one. */
  get description(): string {
    return this.subcode === undefined ? this.message : `${this.subcode}: ${this.message}`;
  }

  static invalidRequest(description: string): OAuthError {
    return new OAuthError('invalid_request', description, 400);
  }

  /**
   * RFC 6749 §5.2: 401 with a WWW-Authenticate challenge, always (RFC 9110 §15.5.2), and a Basic one, so that a
   * client that tried HTTP Basic gets the scheme it used. The description is sent to the client: never put a
   * presented credential in it.
   */
  static invalidClient(description = 'Client authentication failed', realm = BASIC_REALM): OAuthError {
    return new OAuthError('invalid_client', description, 401, { 'www-authenticate': basicChallenge(realm) });
  }

  /** invalid_client (as invalidClient) for a request signature that fails, with the subcode clients match on. */
  static invalidSignature(description: string): OAuthError {
    return new OAuthError('invalid_client', description, 401, { 'www-authenticate': basicChallenge() }, 'invalid_signature');
  }

  static invalidGrant(description: string): OAuthError {
    return new OAuthError('invalid_grant', description, 400);
  }

  static unauthorizedClient(description: string): OAuthError {
    return new OAuthError('unauthorized_client', description, 400);
  }

  static unsupportedGrantType(description: string): OAuthError {
    return new OAuthError('unsupported_grant_type', description, 400);
  }

  static invalidScope(description: string): OAuthError {
    return new OAuthError('invalid_scope', description, 400);
  }

  static invalidTarget(description: string): OAuthError {
    return new OAuthError('invalid_target', description, 400);
  }

  static unsupportedTokenType(description: string): OAuthError {
    return new OAuthError('unsupported_token_type', description, 400);
  }

  /**
   * RFC 9449 §5 / §7.1: a DPoP proof that fails a check, with the DPoP challenge naming the accepted algorithms
   * (the error is also in the body, as the token endpoint answers, RFC 6749 §5.2).
   */
  static invalidDpopProof(description: string, algs: readonly string[]): OAuthError {
    return new OAuthError('invalid_dpop_proof', description, 400, { 'www-authenticate': dpopChallenge('invalid_dpop_proof', safeDescription(description), algs) });
  }

  /** RFC 9449 §8: the proof lacks the server's current nonce; `nonce` is the one to use (DPoP-Nonce header). */
  static useDpopNonce(nonce: string, algs: readonly string[]): OAuthError {
    const description = 'Authorization server requires nonce in DPoP proof';
    return new OAuthError('use_dpop_nonce', description, 400, { 'www-authenticate': dpopChallenge('use_dpop_nonce', description, algs), 'dpop-nonce': nonce });
  }

  static temporarilyUnavailable(description = 'The service is temporarily unavailable, retry later', retryAfterSeconds = 1): OAuthError {
    return new OAuthError('temporarily_unavailable', description, 503, { 'retry-after': String(retryAfterSeconds) });
  }

  static tooManyRequests(retryAfterSeconds: number): OAuthError {
    return new OAuthError('too_many_requests', 'Too many requests, retry later', 429, { 'retry-after': String(retryAfterSeconds) });
  }

  static serverError(requestId: string): OAuthError {
    return new OAuthError('server_error', `An unexpected error occurred (request id ${requestId})`, 500);
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

/** A dependency (database, Redis, a remote JWKS) failed in a way that a retry may fix. */
export class DependencyUnavailableError extends Error {
  constructor(readonly dependency: string, cause?: unknown) {
    super(`${dependency} unavailable`, { cause });
    this.name = 'DependencyUnavailableError';
  }
}
