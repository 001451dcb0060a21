import { KdfRefusal, verifySecretFrom } from '../crypto/password-hash.js';
import { OAuthError } from './errors.js';

/**
 * A refused KDF (crypto/kdf-gate.ts) as the client sees it. Over its own share (`kdf.perAddress`) the address
 * gets 429 (RFC 6585 §4): the excess is the sender's, and a flood from one address must not read as a server
 * outage in the operator's 5xx alerts. A full queue or a passed deadline is the server's whole capacity, so
 * 503 temporarily_unavailable, as for every overloaded dependency. Both with Retry-After. The answer depends only
 * on the address and the server's load, never on the client or user asked about, so an unknown client and a
 * known one with a wrong secret still answer alike.
 */
function kdfRefusalError(refusal: KdfRefusal): OAuthError {
  if (refusal.reason === 'address_budget') {
    return new OAuthError('too_many_requests', 'Too many credential checks from this address at once, retry later', 429, { 'retry-after': String(refusal.retryAfterSeconds) });
  }
  return OAuthError.temporarilyUnavailable('The server is too busy checking credentials, retry later', refusal.retryAfterSeconds);
}

/** Verifies a presented secret or password for a request from `address`; a refused KDF throws OAuthError. */
export async function verifyFromAddress(address: string, phc: string, presented: string): Promise<boolean> {
  try {
    return await verifySecretFrom(address, phc, presented);
  } catch (err) {
    throw err instanceof KdfRefusal ? kdfRefusalError(err) : err;
  }
}
