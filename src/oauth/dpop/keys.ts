import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

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

interface Entry {
  key: KeyObject;
  until: number;
}

/**
 * Imported proof keys by thumbprint. A client sends the same key with every proof; importing a JWK costs
 * ~140 us on the project machine (createPublicKey parses and validates the point), a Map hit well under 1 us. The thumbprint covers
 * every member the key is made of, so an entry can only ever be the key the proof names. Bounded (oldest
 * dropped first) and brief, so a flood of fresh keys costs memory for a moment only.
 */
export class DpopKeyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = 5 * 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  get(jkt: string, jwk: Record<string, unknown>): KeyObject {
    const now = this.clock();
    const hit = this.entries.get(jkt);
    if (hit !== undefined && hit.until > now) return hit.key;
    let key: KeyObject;
    try {
      // Only the key's own members reach the parser (thumbprintOf checked them): no alg, use or key_ops to argue with.
      const members = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, n: jwk.n, e: jwk.e } as { kty: string };
      key = createPublicKey({ key: members, format: 'jwk' });
    } catch {
      throw new DpopKeyError('The jwk is not a valid public key');
    }
    if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) throw new DpopKeyError(`RSA keys must have at least ${MIN_RSA_BITS} bits`);
    if (hit !== undefined) this.entries.delete(jkt);
    else if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(jkt, { key, until: now + this.ttlMs });
    return key;
  }

  get size(): number {
    return this.entries.size;
  }
}
