import { OAuthError } from './errors.js';
import { REPEATABLE_PARAMETERS, REPEAT_SEPARATOR } from './resources.js';
import type { ClientCertificate } from './mtls/client-certificate.js';

/**
 * A token-endpoint request, independent of how it arrived (form POST, or a compatibility adapter such as
 * Cobo's GET/JSON). The core only ever sees this shape.
 */
export interface TokenRequest {
  /** Body parameters; empty values already removed (RFC 6749 §3.1). */
  readonly params: ReadonlyMap<string, string>;
  /** Raw Authorization header, if any. */
  readonly authorization: string | undefined;
  /** Lower-cased request headers, for authenticators that sign the request (Cobo). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly method: string;
  /** The URL path as called, including any mount prefix. */
  readonly path: string;
  /** The raw query string (no leading '?'), as on the wire. */
  readonly rawQuery: string;
  /** The raw body text, as on the wire (signatures cover the exact bytes). */
  readonly rawBody: string;
  readonly ip: string;
  readonly requestId: string;
  /** The client's TLS certificate (RFC 8705), from Tessera's own listener or a trusted proxy's header. */
  readonly clientCertificate?: ClientCertificate;
}

/** Form-decodes one component (application/x-www-form-urlencoded: '+' is a space). */
export function formDecode(component: string): string {
  // Most names and values need no decoding at all; skip the regex and decodeURIComponent for them.
  if (component.indexOf('%') === -1 && component.indexOf('+') === -1) return component;
  try {
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    throw OAuthError.invalidRequest('The request body is not valid application/x-www-form-urlencoded');
  }
}

/**
 * Parses an application/x-www-form-urlencoded body strictly: RFC 6749 §3.2 says parameters MUST NOT be
 * included more than once, and §3.1 says parameters without a value are treated as omitted. The exceptions are
 * the parameters later RFCs define as repeatable (RFC 8707 `resource`, RFC 8693 `audience`): their values are
 * kept joined by a space (oauth/resources.ts reads them back).
 */
export function parseForm(body: string): Map<string, string> {
  const params = new Map<string, string>();
  if (body === '') return params;
  // Names that came with an empty value (not in params, but a repeat of them is still a repeat).
  let empty: Set<string> | undefined;
  for (const pair of body.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = formDecode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : formDecode(pair.slice(eq + 1));
    if (name === '') throw OAuthError.invalidRequest('The request body has a parameter without a name');
    const previous = params.get(name);
    if (REPEATABLE_PARAMETERS.has(name)) {
      // One resource value holding a space would read back as two: no URI has one (RFC 3986), so it is refused here.
      if (name === 'resource' && /\s/.test(value)) throw OAuthError.invalidTarget('The resource parameter must be an absolute URI without a fragment (RFC 8707 section 2)');
      if (value !== '') params.set(name, previous === undefined ? value : previous + REPEAT_SEPARATOR + value);
      continue;
    }
    if (previous !== undefined || empty?.has(name)) throw OAuthError.invalidRequest(`The ${safeName(name)} parameter is repeated`);
    if (value !== '') params.set(name, value);
    else (empty ??= new Set()).add(name);
  }
  return params;
}

/** Parameter names echo into error descriptions; keep them short and printable. */
export function safeName(name: string): string {
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(name) ? name : 'a';
}

export interface BasicCredentials {
  clientId: string;
  clientSecret: string;
  /**
   * The secret exactly as sent, when form-decoding changed it (a raw '+' or '%XX' in it): the secret of a client
   * that does not form-urlencode, tried only after the decoded one failed (client-secret-basic.ts).
   */
  secretAsSent?: string;
}

const BASIC_SCHEME = /^Basic(\s|$)/i;
const BASIC_CREDENTIAL = /^Basic[ ]+([A-Za-z0-9+/]*={0,2})[ ]*$/i;
const NON_ASCII = /[\x80-\xff]/;

/**
 * Well-formed base64 (checked by the caller) to UTF-8 text. Credentials are nearly always ASCII: atob decodes
 * those in a sixth of the time of a Buffer round trip (~50 ns against ~300); its result is one character per
 * byte, so anything beyond ASCII is decoded again as UTF-8.
 */
function decodeBase64Utf8(b64: string): string {
  const bytes = atob(b64);
  return NON_ASCII.test(bytes) ? Buffer.from(b64, 'base64').toString('utf8') : bytes;
}

/** formDecode, or undefined when the text is not form-urlencoded (a raw '%' not followed by two hex digits). */
function formDecodeOrUndefined(component: string): string | undefined {
  try {
    return formDecode(component);
  } catch {
    return undefined;
  }
}

/**
 * RFC 6749 §2.3.1 / RFC 7617: "Basic " base64(form-urlencode(id) ":" form-urlencode(secret)).
 * Returns undefined when the header is not Basic. A Basic header that cannot be decoded is a client
 * authentication attempted through the Authorization header that failed: RFC 6749 §5.2 makes that 401
 * invalid_client with the Basic challenge, not 400. The descriptions name the defect, never the credential.
 *
 * Many clients do not form-urlencode (curl -u, Python requests, Java's and Go's plain Basic helpers,
 * simple-oauth2 in 'loose' mode), while oauth4webapi, openid-client and Go's x/oauth2 do. The two readings differ
 * only when the text holds '+' or '%': a part that is not valid form-urlencoding is taken as sent, and a secret
 * whose decoding changed it also keeps its raw text (secretAsSent) for a second try. No string is copied for the
 * usual credential, which has neither character.
 */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | undefined {
  if (header === undefined || !BASIC_SCHEME.test(header)) return undefined;
  const match = BASIC_CREDENTIAL.exec(header);
  if (!match || match[1] === undefined || match[1].length % 4 !== 0 || match[1] === '') {
    throw OAuthError.invalidClient('The Authorization header is not a well-formed Basic credential');
  }
  const decoded = decodeBase64Utf8(match[1]);
  const colon = decoded.indexOf(':');
  if (colon === -1) throw OAuthError.invalidClient('The Authorization header is not a well-formed Basic credential');
  const rawId = decoded.slice(0, colon);
  const rawSecret = decoded.slice(colon + 1);
  const clientId = formDecodeOrUndefined(rawId) ?? rawId;
  if (clientId === '') throw OAuthError.invalidClient('The Basic credential has an empty client id');
  const clientSecret = formDecodeOrUndefined(rawSecret);
  if (clientSecret === undefined) return { clientId, clientSecret: rawSecret };
  return clientSecret === rawSecret ? { clientId, clientSecret } : { clientId, clientSecret, secretAsSent: rawSecret };
}

/** Only the parameters a handler declared survive into dispatch (oidc-provider's registerGrantType idea). */
export function pickParameters(params: ReadonlyMap<string, string>, allowed: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of params) if (allowed.has(k)) out.set(k, v);
  return out;
}

/** Parameters that carry credentials and must never arrive in the URL query (RFC 6749 §2.3.1, §3.2). */
export const CREDENTIAL_PARAMETERS: ReadonlySet<string> = new Set([
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'password',
  'refresh_token',
  'assertion',
  'subject_token',
  'actor_token',
  'token',
  'code',
]);
