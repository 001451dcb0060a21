// Shared constants for the benchmark harness and its targets.
// Every target is configured with the same single confidential client.

export const CLIENT_ID = 'bench-client';
export const CLIENT_SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';
export const SCOPE = 'read write';
export const REQUEST_SCOPE = 'read';

// Resource-owner credentials used by the password / refresh scenarios.
export const USERNAME = 'bench-user';
export const PASSWORD = 'bench-password-0123456789';

/**
 * The password / refresh scenarios log in as a POOL of users, round-robin. Tessera serialises login attempts
 * per (username, source IP) so a burst of guesses cannot slip past its failed-login throttle; hammering one
 * user from one IP would measure that lock, not login throughput.
 */
export const USER_POOL_SIZE = 200;
export const poolUsername = (i) => `${USERNAME}-${String(i % USER_POOL_SIZE).padStart(3, '0')}`;

/** Clients rotated over by the large-store scenario (a random sample of the seeded store). */
export const ROTATE_CLIENTS = 1000;

export const TOKEN_PATH = '/oauth/token';
export const INTROSPECT_PATH = '/oauth/introspect';
export const HEALTH_PATH = '/healthz';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * application/x-www-form-urlencoded encoding of a single value
 * (the encoding RFC 6749 §2.3.1 requires for client_id / client_secret
 * before they are joined with ':' and base64-encoded).
 */
export function formEncode(value) {
  return new URLSearchParams({ v: String(value) }).toString().slice(2);
}

/** `Basic base64(formEncode(id) ":" formEncode(secret))` per RFC 6749 §2.3.1. */
export function basicAuthHeader(id = CLIENT_ID, secret = CLIENT_SECRET) {
  return 'Basic ' + Buffer.from(`${formEncode(id)}:${formEncode(secret)}`, 'utf8').toString('base64');
}

/** Encode a flat object as an application/x-www-form-urlencoded body. */
export function formBody(params) {
  return new URLSearchParams(params).toString();
}
