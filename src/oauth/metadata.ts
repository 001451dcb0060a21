import type { Config } from '../config.js';
import { ENDPOINTS } from '../endpoints.js';
import { ASYMMETRIC_ALGS, HMAC_ALGS } from './jwt/verify.js';

export interface MetadataInputs {
  config: Config;
  signingAlgs: string[];
  /** The server's grant registry's types (ctx.grants.grantTypes). */
  grantTypes: readonly string[];
  /** The server's client authentication methods, "none" included (ctx.clientAuth.methods). */
  authMethods: readonly string[];
  scopes: string[];
  extraAuthMethods?: string[];
  extensions?: Record<string, unknown>;
}

/**
 * RFC 8414 §2 authorization server metadata (token side only: no authorization endpoint). RFC 8414 §3.2: "Claims
 * with zero elements MUST be omitted from the response" (scopes_supported on a server without scopes), except
 * response_types_supported, which §2 makes REQUIRED: with no authorization endpoint it is the empty list, as it
 * always was (metadata validators check that it is there; RFC 8414 Erratum 7793, only reported, would drop it).
 */
export function buildMetadata(m: MetadataInputs): Record<string, unknown> {
  const metadata = allMetadata(m);
  for (const name of Object.keys(metadata)) {
    const value = metadata[name];
    if (Array.isArray(value) && value.length === 0 && name !== 'response_types_supported') delete metadata[name];
  }
  return metadata;
}

function allMetadata(m: MetadataInputs): Record<string, unknown> {
  const iss = m.config.issuer;
  const authMethods = [...m.authMethods, ...(m.extraAuthMethods ?? [])];
  // Exactly what the JWT authenticators verify: asymmetric algorithms for private_key_jwt, HMAC for client_secret_jwt.
  const jwtAuth = [
    ...(authMethods.includes('private_key_jwt') ? ASYMMETRIC_ALGS : []),
    ...(authMethods.includes('client_secret_jwt') ? HMAC_ALGS : []),
  ];
  // RFC 8414 §2: each *_auth_signing_alg_values_supported MUST be present when its endpoint lists a JWT method.
  const jwtAlgs = jwtAuth.length > 0 ? jwtAuth : undefined;
  return {
    issuer: iss,
    token_endpoint: `${iss}${ENDPOINTS.token}`,
    jwks_uri: `${iss}${ENDPOINTS.jwks}`,
    revocation_endpoint: `${iss}${ENDPOINTS.revoke}`,
    introspection_endpoint: `${iss}${ENDPOINTS.introspect}`,
    // RFC 8414 §2 / RFC 7591 §3: only when registration is on (off, the endpoint does not exist).
    ...(m.config.registration.enabled ? { registration_endpoint: `${iss}${ENDPOINTS.register}` } : {}),
    grant_types_supported: [...m.grantTypes],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: authMethods.filter((x) => x !== 'request_signature'),
    ...(jwtAlgs ? { token_endpoint_auth_signing_alg_values_supported: jwtAlgs } : {}),
    revocation_endpoint_auth_methods_supported: authMethods.filter((x) => x !== 'request_signature'),
    ...(jwtAlgs ? { revocation_endpoint_auth_signing_alg_values_supported: jwtAlgs } : {}),
    introspection_endpoint_auth_methods_supported: authMethods.filter((x) => x !== 'request_signature' && x !== 'none'),
    ...(jwtAlgs ? { introspection_endpoint_auth_signing_alg_values_supported: jwtAlgs } : {}),
    scopes_supported: m.scopes,
    access_token_signing_alg_values_supported: m.signingAlgs,
    // RFC 9701 §7: introspection answers as signed JWTs on request (Accept: application/token-introspection+jwt).
    introspection_signing_alg_values_supported: m.signingAlgs,
    // RFC 9449 §5.1: the algorithms a DPoP proof may use (absent: the server does not support DPoP).
    ...(m.config.dpop.enabled ? { dpop_signing_alg_values_supported: [...m.config.dpop.signingAlgs] } : {}),
    service_documentation: `${iss}${ENDPOINTS.docs}`,
    ...mtlsMetadata(m.config, authMethods),
    ...(m.extensions ?? {}),
  };
}

/**
 * RFC 8705 §3.3 and §5: certificate-bound access tokens wherever client certificates can arrive (the mTLS
 * methods are registered then), and the endpoints' aliases on the host name where clients present certificates
 * (config mtls.aliasBaseUrl), so clients that use a certificate know where to send it.
 */
function mtlsMetadata(config: Config, authMethods: readonly string[]): Record<string, unknown> {
  if (!authMethods.includes('tls_client_auth')) return {};
  const base = config.mtls.aliasBaseUrl?.replace(/\/+$/, '');
  return {
    tls_client_certificate_bound_access_tokens: true,
    ...(base !== undefined ? { mtls_endpoint_aliases: { token_endpoint: `${base}${ENDPOINTS.token}`, revocation_endpoint: `${base}${ENDPOINTS.revoke}`, introspection_endpoint: `${base}${ENDPOINTS.introspect}` } } : {}),
  };
}
