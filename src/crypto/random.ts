import { randomBytes } from 'node:crypto';

/** 256 random bits, base64url: client secrets, refresh tokens, opaque access tokens. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}
