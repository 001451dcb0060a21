import { seal, unseal } from './seal.js';

/**
 * A client_secret_jwt client's secret, sealed under the master key: HMAC needs the secret itself, not a hash
 * (RFC 7523 §2.2). The associated data binds the ciphertext to its client, so a sealed value copied to another
 * client's row does not open there. The admin services seal, client authentication unseals: one label for both.
 */
function label(clientId: string): string {
  return `client-secret:${clientId}`;
}

export function sealClientSecret(masterKey: Buffer, clientId: string, secret: string): string {
  return seal(masterKey, Buffer.from(secret, 'utf8'), label(clientId));
}

export function unsealClientSecret(masterKey: Buffer, clientId: string, sealed: string): Buffer {
  return unseal(masterKey, sealed, label(clientId));
}
