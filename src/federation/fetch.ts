/** Remote fetching moved to oauth/jwt/fetch.ts (private_key_jwt's jwks_uri uses it too; federation imports oauth, never the reverse). */
export * from '../oauth/jwt/fetch.js';
