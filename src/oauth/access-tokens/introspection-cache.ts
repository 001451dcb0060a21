/** A JWT that verified once: its serialised answer, and what must be re-checked on every request. */
export interface VerifiedJwt {
  /** The whole token: the cache is keyed by its tail (keyOf), a hit must be this exact token. */
  token: string;
  kid: string;
  jti: string;
  clientId: string;
  /** The user the token speaks for (user tokens carry `username`), re-checked on every request. */
  userId: string | null;
  /** The refresh-token family the token was issued from (`sid`), re-checked against the revoked set. */
  familyId: string | null;
  exp: number;
  body: string;
}

const KEY_LENGTH = 32;

/**
 * The key of a JWT: its last 32 characters, inside the signature (an Ed25519 or ECDSA signature differs for every
 * token). A Map hashes its string keys afresh for every request's new string, ~1.3 ns a character: a whole access
 * token (~400 characters) cost ~0.5 µs per introspection, the tail ~0.05. The entry keeps the whole token and a
 * hit must equal it, so two tokens that share a tail only cost each other a cache miss.
 */
function keyOf(token: string): string {
  return token.length > KEY_LENGTH ? token.slice(token.length - KEY_LENGTH) : token;
}

/**
 * The JWT introspection answers of one server (access-tokens/jwt.ts), bounded, oldest out first. One per
 * OAuthContext, built with it (http/server.ts), so two servers in one process never share answers.
 */
export class JwtIntrospectionCache {
  private readonly entries = new Map<string, VerifiedJwt>();

  constructor(private readonly maxEntries = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry of exactly this token, if cached. */
  get(token: string): VerifiedJwt | undefined {
    const entry = this.entries.get(keyOf(token));
    return entry !== undefined && entry.token === token ? entry : undefined;
  }

  /**
   * Keeps `entry`. A token parsed from a form is a slice of the request body and would keep all of it (up to the
   * body limit) alive while cached: the entry holds a copy of the token alone (a verified JWT is ASCII, so the
   * copy is exact; anything else is not kept).
   */
  add(entry: VerifiedJwt): void {
    const own = Buffer.from(entry.token).toString();
    if (own !== entry.token) return;
    entry.token = own;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(keyOf(own), entry);
  }

  delete(token: string): void {
    const key = keyOf(token);
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }
}
