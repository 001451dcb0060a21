import type { Config } from '../config.js';
import { supportedAuthMethods } from './client-auth/index.js';
import { supportedGrantTypes } from './grants/index.js';
import { ASYMMETRIC_ALGS, HMAC_ALGS } from '../federation/jwt-verify.js';

export interface MetadataInputs {
  config: Config;
  signingAlgs: string[];
  scopes: string[];
  extraAuthMethods?: string[];
  extensions?: Record<string, unknown>;
}

/** RFC 8414 §2 authorization server metadata (token side only: no authorization endpoint). */
export function buildMetadata(m: MetadataInputs): Record<string, unknown> {
  const iss = m.config.issuer;
  const authMethods = [...supportedAuthMethods(), ...(m.extraAuthMethods ?? [])];
  // Exactly what the JWT authenticators verify: asymmetric algorithms for private_key_jwt, HMAC for client_secret_jwt.
  const jwtAuth = [
    ...(authMethods.includes('private_key_jwt') ? ASYMMETRIC_ALGS : []),
    ...(authMethods.includes('client_secret_jwt') ? HMAC_ALGS : []),
  ];
  // RFC 8414 §2: each *_auth_signing_alg_values_supported MUST be present when its endpoint lists a JWT method.
  const jwtAlgs = jwtAuth.length > 0 ? jwtAuth : undefined;
  return {
    issuer: iss,
    token_endpoint: `${iss}/oauth/token`,
    jwks_uri: `${iss}/.well-known/jwks.json`,
    revocation_endpoint: `${iss}/oauth/revoke`,
    introspection_endpoint: `${iss}/oauth/introspect`,
    grant_types_supported: supportedGrantTypes(),
    response_types_supported: [],
    token_endpoint_auth_methods_supported: authMethods.filter((x) => x !== 'request_signature'),
    ...(jwtAlgs ? { token_endpoint_auth_signing_alg_values_supported: jwtAlgs } : {}),
    revocation_endpoint_auth_methods_supported: authMethods.filter((x) => x !== 'request_signature'),
    ...(jwtAlgs ? { revocation_endpoint_auth_signing_alg_values_supported: jwtAlgs } : {}),
    introspection_endpoint_auth_methods_supported: authMethods.filter((x) => x !== 'request_signature' && x !== 'none'),
    ...(jwtAlgs ? { introspection_endpoint_auth_signing_alg_values_supported: jwtAlgs } : {}),
    scopes_supported: m.scopes,
    access_token_signing_alg_values_supported: m.signingAlgs,
    service_documentation: `${iss}/docs`,
    ...(m.extensions ?? {}),
  };
}
