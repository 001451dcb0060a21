/** The JWT verifier moved to oauth/jwt/verify.ts (client authentication owns it; federation uses it). */
export * from '../oauth/jwt/verify.js';
