import { assembleJwt, signingInputOf, type LoadedKey } from '../../src/keys/jwt.js';

/** A JWT signed with one of our loaded keys on the calling thread, as the issuer's inline signer does (oauth/issuer.ts). */
export function signJwt(key: LoadedKey, claims: Record<string, unknown>): string {
  const signingInput = signingInputOf(key, claims);
  return assembleJwt(signingInput, key.sign(Buffer.from(signingInput, 'latin1')));
}
