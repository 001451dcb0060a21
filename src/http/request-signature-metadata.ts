import type { RoutePlugin } from './plugins.js';

/**
 * RFC 8414 §2 allows extension metadata. Request-signature authentication (oauth/client-auth/request-signature.ts)
 * is not a registered token_endpoint_auth_methods_supported value, so it is announced under Tessera's own names
 * (docs/compatibility.md): whether it is accepted, and which BIZ-API-KEY key types are.
 */
export const requestSignatureMetadata: RoutePlugin = (_app, _ctx, discovery) => {
  discovery.extensions.tessera_request_signature_supported = true;
  discovery.extensions.tessera_request_signature_key_types_supported = ['ed25519', 'secp256k1'];
};
