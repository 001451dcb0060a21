import type { ApiKey, Client } from '../../store/types.js';
import type { OAuthContext } from '../context.js';
import { getClient } from '../context.js';
import { OAuthError } from '../errors.js';
import type { TokenRequest } from '../token-request.js';
import { throttledClientAuth } from './throttle.js';
import { methodAllowed, type ClientAuthenticator } from './types.js';
import { checkNonce, innerDigest, parseApiPublicKey, signatureDigest, stringToSign, verifyRequestSignature, type ParsedApiKey } from './request-signature/index.js';

/**
 * Request-signature client authentication (Cobo's "CoboAuth", docs/compatibility.md): BIZ-API-KEY names a
 * registered Ed25519 or secp256k1 public key, BIZ-API-NONCE is the client's clock in ms, BIZ-API-SIGNATURE signs
 * SHA-256(SHA-256(METHOD|PATH|NONCE|QUERY|BODY)) over the request exactly as it arrived. Not an IANA-registered
 * token_endpoint_auth_method, so the metadata lists it under an extension name
 * (http/request-signature-metadata.ts).
 */
const SIGNATURE_HEADERS = ['biz-api-key', 'biz-api-nonce', 'biz-api-signature'] as const;

/** A registered key, parsed once per server (Ed25519 point validation is not free): ctx.apiKeys, invalidated by 'api_key' changes. */
export interface KnownKey {
  apiKey: ApiKey;
  parsed: ParsedApiKey;
}

const HEX_KEY = /^(?:[0-9a-f]{64}|0[23][0-9a-f]{64})$/;

async function loadKey(ctx: OAuthContext, hex: string): Promise<KnownKey | undefined> {
  const apiKey = await ctx.store.apiKeys.get(hex);
  if (!apiKey) return undefined;
  const parsed = parseApiPublicKey(apiKey.publicKey);
  return parsed ? { apiKey, parsed } : undefined;
}

/** The single value of a header; a repeated header is as bad as a missing one. */
function header(req: TokenRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

export function hasSignatureHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  return SIGNATURE_HEADERS.some((h) => headers[h] !== undefined);
}

const badSignature = () => OAuthError.invalidSignature('the request signature could not be verified');

/** The signature check proper, once the headers are present and the nonce is fresh. */
async function verifySignedRequest(req: TokenRequest, ctx: OAuthContext, keyHex: string, nonce: string, signature: string, windowMs: number): Promise<Client> {
  const known = HEX_KEY.test(keyHex) ? await ctx.apiKeys.get(keyHex, (k) => loadKey(ctx, k)) : undefined;
  const client = known ? await getClient(ctx, known.apiKey.clientId) : undefined;
  // Unknown key, unusable client and bad signature answer alike: the caller learns nothing about which keys exist.
  if (!known || !client || client.status !== 'active' || !methodAllowed(client, 'request_signature')) throw badSignature();
  const claimed = req.params.get('client_id');
  if (claimed !== undefined && claimed !== client.clientId) throw badSignature();

  // stringToSign returns null for input it cannot canonicalise unambiguously: that is a failed signature.
  const str = stringToSign({ method: req.method, path: req.path, nonce, rawQuery: req.rawQuery, rawBody: req.rawBody });
  if (str === null) throw badSignature();
  const inner = innerDigest(str);
  const digest = signatureDigest(str, inner);
  if (!verifyRequestSignature(known.parsed, digest, inner, signature)) throw badSignature();

  // Single use, recorded only for valid signatures (nobody can burn another client's nonces). Remembered until
  // the nonce leaves the window, after which freshness alone refuses it; shared across nodes via the ReplayGuard.
  // The guard's key is the signed message itself (key, nonce and digest), not the nonce alone: the SDK's nonce is
  // its clock in milliseconds, so an app that sends two different requests in one millisecond (tokens for several
  // organisations at once) signs both with one nonce. Both are genuine; a replay is the same message again, and
  // its digest is the same, so it is still refused.
  const expiresAt = Math.ceil((Number(nonce) + windowMs) / 1000) + 1;
  if (!(await ctx.replay.firstUse(`nonce:${known.apiKey.publicKey}:${nonce}:${digest.toString('base64url')}`, expiresAt))) {
    throw OAuthError.invalidSignature('this BIZ-API-NONCE was already used');
  }
  return client;
}

export const requestSignatureAuth = {
  method: 'request_signature',
  // Any one of the headers selects this method, so a half-signed request fails here instead of falling back to
  // another method (RFC 6749 §2.3: one method per request).
  matches: (req) => hasSignatureHeaders(req.headers),
  async authenticate(req, ctx) {
    const keyHex = header(req, 'biz-api-key')?.toLowerCase();
    const nonce = header(req, 'biz-api-nonce');
    const signature = header(req, 'biz-api-signature');
    if (keyHex === undefined || nonce === undefined || signature === undefined) {
      throw OAuthError.invalidSignature('BIZ-API-KEY, BIZ-API-NONCE and BIZ-API-SIGNATURE must each be sent once');
    }
    const windowMs = ctx.config.signatureWindowMs;
    const nowMs = ctx.now() * 1000;
    const freshness = checkNonce(nonce, nowMs, windowMs);
    if (freshness === 'malformed') throw OAuthError.invalidSignature('BIZ-API-NONCE must be the time in milliseconds');
    if (freshness === 'stale') throw OAuthError.invalidSignature(`BIZ-API-NONCE is outside the accepted window of ${Math.round(windowMs / 1000)} s`);
    // From here a signature is tested: under the client-auth throttle, keyed by the key the request names (known
    // or not), per address and per key (RFC 6749 §10.10).
    return throttledClientAuth(ctx, 'api_key', keyHex, req.ip, () => verifySignedRequest(req, ctx, keyHex, nonce, signature, windowMs));
  },
} satisfies ClientAuthenticator;
