/** Remote JWK Sets moved to oauth/jwt/remote-jwks.ts (one cache per server, shared by identity providers and clients' jwks_uri). */
export * from '../oauth/jwt/remote-jwks.js';
