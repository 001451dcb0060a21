export { canonicalQuery, innerDigest, signatureDigest, stringToSign, type SignedRequestParts } from './canonical.js';
export { parseApiPublicKey, type ApiKeyKind, type ParsedApiKey } from './keys.js';
export { checkNonce, verifyRequestSignature, type NonceCheck } from './verify.js';
