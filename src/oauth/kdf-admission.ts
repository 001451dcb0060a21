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
  // Nobody reads this answer (the connection is closed); a 4xx, so it is neither logged as an outage nor, being
  // no verdict on the credential, counted as a failed attempt by the throttles.
  if (refusal.reason === 'abandoned') return ABANDONED;
  if (refusal.reason === 'address_budget') {
    return new OAuthError('too_many_requests', 'Too many credential checks from this address at once, retry later', 429, { 'retry-after': String(refusal.retryAfterSeconds) });
  }
  return OAuthError.temporarilyUnavailable('The server is too busy checking credentials, retry later', refusal.retryAfterSeconds);
}

const ABANDONED = OAuthError.invalidRequest('The connection closed before the credentials were checked');

/**
 * The connection a request's answer goes back on (Node's ServerResponse): what a queued KDF watches to learn
 * that its requester has gone. Passed down explicitly from the HTTP layer (http/routes/token.ts).
 */
export interface AnswerChannel {
  /** True once the response's stream has closed: finished, or cut off by the client. */
  readonly closed: boolean;
  /** True once the whole answer was handed to the connection. */
  readonly writableFinished: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * A signal aborted when the connection closes before the answer was written (the client went away). Made only
 * when a KDF must wait (kdf-gate.ts WhenGone): the listener lasts until the response closes, once per request.
 */
export function goneSignal(answer: AnswerChannel): AbortSignal {
  if (answer.closed && !answer.writableFinished) return AbortSignal.abort();
  const controller = new AbortController();
  answer.once('close', () => {
    if (!answer.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * Verifies a presented secret or password for a request from `address`; a refused KDF throws OAuthError. Given
 * the request's `answer` channel, a KDF still waiting for a slot when the client goes leaves the queue.
 */
export async function verifyFromAddress(address: string, phc: string, presented: string, answer?: AnswerChannel): Promise<boolean> {
  try {
    return await verifySecretFrom(address, phc, presented, answer && (() => goneSignal(answer)));
  } catch (err) {
    throw err instanceof KdfRefusal ? kdfRefusalError(err) : err;
  }
}
