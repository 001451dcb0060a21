/**
 * The receiving side of Tessera's token hook (docs/tokens.md "Token hook"): checks that a request came from the
 * Tessera that shares `secret` and is fresh. Tessera sends `x-tessera-timestamp: <unix seconds>` and
 * `x-tessera-signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`; pass the raw body exactly as
 * received (parsing and re-serialising the JSON would change the bytes). WebCrypto's HMAC verify compares in
 * constant time. Answer 204, or 200 with `{"claims": {...}}`, only when this resolves true.
 */
export interface TokenHookRequest {
  secret: string;
  /** The raw request body, as received. */
  body: string;
  /** The x-tessera-timestamp header. */
  timestamp: string | null | undefined;
  /** The x-tessera-signature header. */
  signature: string | null | undefined;
  /** How old (or how far ahead) a timestamp may be, seconds (default 300). */
  toleranceSeconds?: number;
  /** The current time in ms (default Date.now()). */
  now?: number;
}

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(hex.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export async function verifyTokenHook(r: TokenHookRequest): Promise<boolean> {
  if (typeof r.timestamp !== 'string' || !/^\d{1,12}$/.test(r.timestamp) || typeof r.signature !== 'string') return false;
  const match = SIGNATURE.exec(r.signature);
  if (!match) return false;
  const now = Math.floor((r.now ?? Date.now()) / 1000);
  if (Math.abs(now - Number(r.timestamp)) > (r.toleranceSeconds ?? 300)) return false;
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(r.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  return crypto.subtle.verify('HMAC', key, hexBytes(match[1]!), enc.encode(`${r.timestamp}.${r.body}`));
}
