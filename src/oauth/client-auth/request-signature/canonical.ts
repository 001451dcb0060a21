import { createHash } from 'node:crypto';

/**
 * Canonical form of Cobo's signed request (docs/compatibility.md, "What is
 * signed"). Every function here returns null instead
 * of throwing on input it cannot canonicalise, so a caller maps null to a
 * 401 without a try/catch.
 */

export interface SignedRequestParts {
  /** Request-line method as received (the SDK signs `GET` / `POST`). */
  method: string;
  /** Pathname as on the wire, with any base prefix (`/v2/oauth/token`). */
  path: string;
  /** The BIZ-API-NONCE header. */
  nonce: string;
  /** Query string as on the wire, without the leading `?`. */
  rawQuery: string;
  /** Body exactly as received; bytes must be valid UTF-8. */
  rawBody: string | Uint8Array;
}

/*
 * Form decoding: `+` is a space, as in Fastify's query parser (fast-querystring)
 * and URLSearchParams. The SDK never puts a literal `+` on the wire (it sends
 * `%2B`, see wire/cobo-getToken-special-chars.json), so the fixtures pass
 * either way; the choice follows the handler. If `+` stayed a plus here, a
 * request signed for `a+b` (wire `a%2Bb`) could be resent as `a+b`: same
 * canonical string, but the handler would read `a b`.
 *
 * Unlike both parsers, decoding is strict: a malformed escape or invalid UTF-8
 * throws (URIError) instead of being kept raw or turned into U+FFFD, because
 * those lenient paths map different wire strings to one value.
 */
function formDecode(component: string): string {
  return decodeURIComponent(component.replace(/\+/g, ' '));
}

/** The SDK's own encoding: encodeURIComponent, then `%20` to `+`. Throws URIError on lone surrogates. */
function sdkEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/**
 * The signed QUERY for a raw wire query: parameters in arrival order, empty
 * values dropped, a trailing `_` cache-buster dropped (the SDK appends it after
 * signing when `apiClient.cache = false`), each re-encoded as the SDK does.
 * Returns null on malformed percent-encoding or lone surrogates.
 *
 * Keys are encoded like values. The SDK writes keys unencoded, which is
 * identical for the `[a-z_]` keys it sends and ambiguous for keys holding
 * `&` or `=`, so a key outside encodeURIComponent's unreserved set fails
 * closed rather than matching.
 */
export function canonicalQuery(rawQuery: string): string | null {
  try {
    const pairs = rawQuery
      .split('&')
      .filter((segment) => segment !== '')
      .map((segment) => {
        const eq = segment.indexOf('=');
        const key = eq === -1 ? segment : segment.slice(0, eq);
        const value = eq === -1 ? '' : segment.slice(eq + 1);
        return [formDecode(key), formDecode(value)] as const;
      });
    if (pairs.at(-1)?.[0] === '_') pairs.pop();
    return pairs
      .filter(([, value]) => value !== '')
      .map(([key, value]) => `${sdkEncode(key)}=${sdkEncode(value)}`)
      .join('&');
  } catch {
    return null;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LONE_SURROGATE = /\p{Cs}/u;

function bodyText(rawBody: string | Uint8Array): string | null {
  if (typeof rawBody === 'string') return rawBody;
  try {
    return strictUtf8.decode(rawBody);
  } catch {
    return null;
  }
}

/**
 * `METHOD|PATH|NONCE|QUERY|BODY`. QUERY and BODY are taken from the request
 * whatever the method: the SDK signs its query string and body for any method
 * (they are merely empty for its POST and GET calls), and blanking the query of
 * a POST would leave query parameters the handler can read unsigned.
 *
 * Returns null when the parts cannot be signed unambiguously: a `|` in method,
 * path or nonce (fields could shift; the canonical query never holds a raw `|`
 * and the body is last), malformed query encoding, body bytes that are not
 * UTF-8, or lone surrogates (utf8 encoding would turn them into U+FFFD).
 */
export function stringToSign(parts: SignedRequestParts): string | null {
  const { method, path, nonce } = parts;
  if (method.includes('|') || path.includes('|') || nonce.includes('|')) return null;
  const query = canonicalQuery(parts.rawQuery);
  const body = bodyText(parts.rawBody);
  if (query === null || body === null) return null;
  const str = [method, path, nonce, query, body].join('|');
  return LONE_SURROGATE.test(str) ? null : str;
}

/** SHA-256 of the UTF-8 string to sign: the message node's ECDSA verify hashes once more. */
export function innerDigest(str: string): Buffer {
  return createHash('sha256').update(str, 'utf8').digest();
}

/** SHA-256(SHA-256(utf8)), the outer hash over the 32 raw inner bytes (docs/compatibility.md). */
export function signatureDigest(str: string, inner: Buffer = innerDigest(str)): Buffer {
  return createHash('sha256').update(inner).digest();
}
