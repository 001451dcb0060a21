import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { loadSodium, type Sodium } from '../../keys/ed25519.js';

/** Why a proof's embedded key was refused; the caller turns it into invalid_dpop_proof. */
export class DpopKeyError extends Error {}

/** JWK members that only a private (or symmetric) key has: RFC 7518 §6.2.2, §6.3.2, §6.4. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The curve each algorithm is defined over (RFC 7518 §3.4, RFC 8037 §3.1, RFC 9864 §2.2). */
const CURVE_OF: Readonly<Record<string, readonly string[]>> = {
  ES256: ['P-256'],
  ES384: ['P-384'],
  ES512: ['P-521'],
  EdDSA: ['Ed25519', 'Ed448'],
  Ed25519: ['Ed25519'],
};

/** Node's verify() arguments per JWS algorithm (RFC 7518 §3, RFC 8037 §3.1). */
const VERIFY_WITH: Readonly<Record<string, { hash: string | null; pss?: true; p1363?: true }>> = {
  ES256: { hash: 'sha256', p1363: true },
  ES384: { hash: 'sha384', p1363: true },
  ES512: { hash: 'sha512', p1363: true },
  EdDSA: { hash: null },
  Ed25519: { hash: null },
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', pss: true },
  PS384: { hash: 'sha384', pss: true },
  PS512: { hash: 'sha512', pss: true },
};

/** True when this server can verify `alg` at all (the advertised list is checked separately). */
export function isSupportedAlg(alg: string): boolean {
  return Object.hasOwn(VERIFY_WITH, alg);
}

/** RFC 7518 §3.3 / §3.5: RSA keys below 2048 bits are refused. */
const MIN_RSA_BITS = 2048;

function str(jwk: Record<string, unknown>, name: string): string {
  const v = jwk[name];
  if (typeof v !== 'string' || v === '' || !/^[A-Za-z0-9_-]+$/.test(v)) throw new DpopKeyError(`The jwk has no valid ${name} member`);
  return v;
}

/**
 * RFC 7638 §3: the JWK SHA-256 thumbprint, over the required members of the key type in lexicographic order.
 * It is also RFC 9449's `jkt` (§6.1). Checks that the key is public and of the type `alg` needs.
 */
export function thumbprintOf(jwk: Record<string, unknown>, alg: string): string {
  for (const m of PRIVATE_MEMBERS) if (jwk[m] !== undefined) throw new DpopKeyError('The jwk header must hold a public key (it has private key members)');
  let canonical: string;
  const kty = jwk.kty;
  if (kty === 'EC' || kty === 'OKP') {
    const crv = jwk.crv;
    if (typeof crv !== 'string' || !(CURVE_OF[alg] ?? []).includes(crv)) throw new DpopKeyError(`The jwk is not a key for ${alg}`);
    if ((kty === 'EC') !== alg.startsWith('ES')) throw new DpopKeyError(`The jwk is not a key for ${alg}`);
    canonical = kty === 'EC' ? `{"crv":"${crv}","kty":"EC","x":"${str(jwk, 'x')}","y":"${str(jwk, 'y')}"}` : `{"crv":"${crv}","kty":"OKP","x":"${str(jwk, 'x')}"}`;
  } else if (kty === 'RSA') {
    if (!alg.startsWith('RS') && !alg.startsWith('PS')) throw new DpopKeyError(`The jwk is not a key for ${alg}`);
    canonical = `{"e":"${str(jwk, 'e')}","kty":"RSA","n":"${str(jwk, 'n')}"}`;
  } else {
    throw new DpopKeyError('The jwk must be an EC, OKP or RSA public key');
  }
  return createHash('sha256').update(canonical).digest('base64url');
}

/** A proof's public key, imported once: checks a signature made with one of the algorithms the key fits. */
export interface ProofKey {
  /** 'libsodium' for Ed25519 keys when the addon loads (ADR 0007), else 'node:crypto'. */
  readonly backend: 'libsodium' | 'node:crypto';
  verify(alg: string, data: Buffer, signature: Buffer): boolean;
}

function nodeProofKey(key: KeyObject): ProofKey {
  return {
    backend: 'node:crypto',
    verify(alg, data, signature) {
      const how = VERIFY_WITH[alg];
      if (how === undefined) return false;
      try {
        if (how.p1363) return verify(how.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
        if (how.pss) return verify(how.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
        return verify(how.hash, data, key, signature);
      } catch {
        return false;
      }
    },
  };
}

/**
 * An Ed25519 key verified by libsodium: ~53 µs a proof against ~109 µs for node:crypto's one-shot verify on
 * the benchmark host (docs/benchmarks.md), and no createPublicKey at all (the key is the 32 bytes of `x`).
 * libsodium refuses non-canonical and small-order keys and non-canonical signatures (S >= L) by itself.
 */
function sodiumProofKey(lib: Sodium, raw: Buffer): ProofKey {
  return {
    backend: 'libsodium',
    verify: (_alg, data, signature) => signature.length === lib.crypto_sign_BYTES && lib.crypto_sign_verify_detached(signature, data, raw),
  };
}

/** Imports a public JWK whose members thumbprintOf checked; throws DpopKeyError when it is no valid key. */
export function importProofKey(jwk: Record<string, unknown>, sodium: Sodium | null = loadSodium()): ProofKey {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && sodium !== null) {
    const raw = Buffer.from(jwk.x as string, 'base64url');
    if (raw.length !== sodium.crypto_sign_PUBLICKEYBYTES) throw new DpopKeyError('The jwk is not a valid public key');
    return sodiumProofKey(sodium, raw);
  }
  let key: KeyObject;
  try {
    // Only the key's own members reach the parser (thumbprintOf checked them): no alg, use or key_ops to argue with.
    const members = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, n: jwk.n, e: jwk.e } as { kty: string };
    key = createPublicKey({ key: members, format: 'jwk' });
  } catch {
    throw new DpopKeyError('The jwk is not a valid public key');
  }
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) throw new DpopKeyError(`RSA keys must have at least ${MIN_RSA_BITS} bits`);
  return nodeProofKey(key);
}

/** The longest protected header (base64url characters) the checked-header cache keeps. */
export const MAX_CACHED_HEADER = 1024;

/** A proof header that passed every check that depends on the header alone, with its imported key. */
export interface CheckedHeader {
  readonly alg: string;
  readonly jkt: string;
  readonly key: ProofKey;
}

interface Entry<V> {
  value: V;
  until: number;
}

/** A Map bounded in size (oldest dropped first) and in time (entries expire). */
class BoundedCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {}

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    if (hit.until > this.clock()) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V): void {
    if (this.entries.has(key)) this.entries.delete(key);
    else if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, until: this.clock() + this.ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Proof keys, imported once. A client sends the same key, usually in the very same protected header, with
 * every proof: importing a JWK with createPublicKey costs ~140 µs on the project machine, decoding and checking
 * the header and thumbprinting the key several µs more, a Map hit well under 1 µs. Two levels:
 *  - by thumbprint, the imported key (the thumbprint covers every member the key is made of, so an entry can
 *    only ever be the key the proof names);
 *  - by the header's exact base64url text, the header's checked result (alg, thumbprint, key): a header that
 *    passed the checks once passes them again, byte for byte. Only headers that passed are remembered.
 * Both bounded (oldest dropped first) and brief, so a flood of fresh keys costs memory for a moment only.
 */
export class DpopKeyCache {
  private readonly keys: BoundedCache<ProofKey>;
  private readonly headers: BoundedCache<CheckedHeader>;

  constructor(
    maxEntries = 10_000,
    ttlMs = 5 * 60_000,
    clock: () => number = Date.now,
    private readonly sodium: Sodium | null = loadSodium(),
  ) {
    this.keys = new BoundedCache(maxEntries, ttlMs, clock);
    this.headers = new BoundedCache(maxEntries, ttlMs, clock);
  }

  /** The key a thumbprint names, imported at first use. Throws DpopKeyError. */
  get(jkt: string, jwk: Record<string, unknown>): ProofKey {
    const hit = this.keys.get(jkt);
    if (hit !== undefined) return hit;
    const key = importProofKey(jwk, this.sodium);
    this.keys.set(jkt, key);
    return key;
  }

  /** A header checked before, by its exact encoded text. */
  header(encoded: string): CheckedHeader | undefined {
    return this.headers.get(encoded);
  }

  /**
   * Remembers a checked header. Only headers up to MAX_CACHED_HEADER characters are kept (an EC or OKP key's header
   * is ~200, an RSA-4096 one ~850), so a flood of padded headers holds at most ~10 MB; longer ones are checked
   * every time.
   */
  rememberHeader(encoded: string, checked: CheckedHeader): CheckedHeader {
    if (encoded.length <= MAX_CACHED_HEADER) this.headers.set(encoded, checked);
    return checked;
  }

  /** Imported keys held. */
  get size(): number {
    return this.keys.size;
  }
}
