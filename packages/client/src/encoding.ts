/** Portable helpers (Node 20+ and browsers): no Buffer, no node: modules. */

const encoder = new TextEncoder();

export function base64(text: string): string {
  let binary = '';
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** application/x-www-form-urlencoded encoding of one value (spaces as "+"), as URLSearchParams does. */
export function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** RFC 6749 §2.3.1: client_id and client_secret are form-encoded before they go into HTTP Basic. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${base64(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Whether two strings are equal, in time that depends on their lengths only, not on where they first differ
 * (thumbprints and hashes a request is checked against: cnf x5t#S256, cnf.jkt, ath).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ (i < b.length ? b.charCodeAt(i) : 0);
  return diff === 0;
}
