import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** What one DPoP proof (RFC 9449 §4.2) is for. */
export interface DpopProofInput {
  /** The HTTP method (htm). */
  method: string;
  /** The request URL; query and fragment are dropped (htu, §4.2). */
  url: string;
  /** The access token sent with the proof to a resource server (its hash becomes `ath`, §4.2). */
  accessToken?: string;
  /** The server's nonce (§8, §9), when it asked for one. */
  nonce?: string;
}

const encoder = new TextEncoder();

/** RFC 9449 §4.2: base64url(SHA-256(ASCII(access token))). */
export async function accessTokenHash(accessToken: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(accessToken))));
}

/** RFC 9449 §4.2: htu is the URL without query and fragment. */
export function htuOf(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

function randomJti(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * A DPoP key pair (RFC 9449): a WebCrypto key, in browsers and Node alike. A generated private key is not
 * extractable: script on the page (or a heap dump of Node) can use it while the client runs, but cannot copy it
 * out, so a stolen token is useless elsewhere. Keep one key per client for as long as its tokens live: the
 * access tokens (cnf.jkt) and a public client's refresh tokens are bound to it.
 */
export class DpopKey {
  private constructor(
    readonly alg: string,
    private readonly privateKey: CryptoKey,
    /** The public key as the proofs carry it. */
    readonly publicJwk: JWK,
    /** RFC 7638 thumbprint: the cnf.jkt of tokens bound to this key. */
    readonly jkt: string,
  ) {}

  /** A new, non-extractable key pair (default ES256; EdDSA / Ed25519 and PS256 work where the runtime has them). */
  static async generate(alg = 'ES256'): Promise<DpopKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: false });
    return DpopKey.fromKeyPair({ privateKey, publicKey }, alg);
  }

  /** An existing WebCrypto pair (e.g. one kept in IndexedDB across page loads). */
  static async fromKeyPair(pair: { privateKey: CryptoKey; publicKey: CryptoKey }, alg = 'ES256'): Promise<DpopKey> {
    const { kty, crv, x, y, n, e } = await exportJWK(pair.publicKey);
    const publicJwk = Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined)) as JWK;
    return new DpopKey(alg, pair.privateKey, publicJwk, await calculateJwkThumbprint(publicJwk));
  }

  /** A fresh proof (new jti, iat now) for one request. */
  async proof(input: DpopProofInput): Promise<string> {
    const claims: Record<string, unknown> = { htm: input.method.toUpperCase(), htu: htuOf(input.url), jti: randomJti(), iat: Math.floor(Date.now() / 1000) };
    if (input.nonce !== undefined) claims.nonce = input.nonce;
    if (input.accessToken !== undefined) claims.ath = await accessTokenHash(input.accessToken);
    return new SignJWT(claims).setProtectedHeader({ alg: this.alg, typ: 'dpop+jwt', jwk: this.publicJwk }).sign(this.privateKey);
  }
}

/** The nonce each server (origin) last gave (RFC 9449 §8.2: DPoP-Nonce on any answer), to put in the next proof. */
export class DpopNonces {
  private readonly byOrigin = new Map<string, string>();

  get(url: string): string | undefined {
    return this.byOrigin.get(new URL(url).origin);
  }

  /** Keeps the answer's DPoP-Nonce, if it has one. */
  remember(url: string, headers: Headers): void {
    const nonce = headers.get('dpop-nonce');
    if (nonce !== null && nonce !== '') this.byOrigin.set(new URL(url).origin, nonce);
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PARAM = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(.*)$/s;

/**
 * The challenges of a WWW-Authenticate value (RFC 9110 §11.6.1): a resource server that takes Bearer and DPoP
 * names both, and fetch joins several WWW-Authenticate headers with ", ", so the DPoP challenge need not come
 * first. Splits on commas outside quoted strings; an item `scheme [param]` starts a challenge, `name=value` adds
 * a parameter (names lower-cased, quoted values unescaped) to the current one.
 */
export function parseChallenges(header: string): Array<{ scheme: string; params: Map<string, string> }> {
  const items: string[] = [];
  let item = '';
  let quoted = false;
  let escaped = false;
  for (const ch of header) {
    if (quoted) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      items.push(item);
      item = '';
      continue;
    }
    item += ch;
  }
  items.push(item);
  const out: Array<{ scheme: string; params: Map<string, string> }> = [];
  const addParam = (text: string) => {
    const m = PARAM.exec(text.trim());
    if (!m || out.length === 0) return;
    const raw = m[2]!.trim();
    const value = raw.startsWith('"') ? raw.slice(1, raw.endsWith('"') && raw.length > 1 ? -1 : undefined).replace(/\\(.)/g, '$1') : raw;
    out[out.length - 1]!.params.set(m[1]!.toLowerCase(), value);
  };
  for (const raw of items) {
    const text = raw.trim();
    if (text === '') continue;
    if (PARAM.test(text)) {
      addParam(text);
      continue;
    }
    const space = text.search(/\s/);
    const scheme = space === -1 ? text : text.slice(0, space);
    if (!TOKEN.test(scheme)) continue;
    out.push({ scheme, params: new Map() });
    if (space !== -1) addParam(text.slice(space));
  }
  return out;
}

/**
 * Whether an answer asks for a (new) nonce: the token endpoint's 400 use_dpop_nonce (§8) or a resource server's
 * 401 with a DPoP challenge, among any others, naming use_dpop_nonce (§9). The caller retries once with the
 * nonce it was given.
 */
export function asksForNonce(status: number, headers: Headers, body: unknown): boolean {
  if (headers.get('dpop-nonce') === null) return false;
  if (status === 400 && typeof body === 'object' && body !== null && (body as { error?: unknown }).error === 'use_dpop_nonce') return true;
  return status === 401 && parseChallenges(headers.get('www-authenticate') ?? '').some((c) => c.scheme.toLowerCase() === 'dpop' && c.params.get('error') === 'use_dpop_nonce');
}
