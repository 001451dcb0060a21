import { DiscoveryError } from './errors.js';
import { errorFrom, send, type HttpSettings } from './http.js';

/** The RFC 8414 §2 fields this package uses (the server may send more). */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint?: string;
  jwks_uri?: string;
  revocation_endpoint?: string;
  introspection_endpoint?: string;
  grant_types_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  scopes_supported?: string[];
  /** RFC 8705 §5: the endpoints where clients that present a TLS client certificate send their requests. */
  mtls_endpoint_aliases?: { token_endpoint?: string; revocation_endpoint?: string; introspection_endpoint?: string; [field: string]: unknown };
  [field: string]: unknown;
}

/**
 * RFC 8414 §3.1: the well-known suffix goes between the host and the issuer's path component
 * (https://as.example/tenant -> https://as.example/.well-known/oauth-authorization-server/tenant).
 */
export function metadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Fetches and validates the metadata; the `issuer` it states must be exactly the configured one (RFC 8414 §3.3). */
export async function discover(http: HttpSettings, issuer: string, signal?: AbortSignal): Promise<AuthorizationServerMetadata> {
  const url = metadataUrl(issuer);
  let result;
  try {
    result = await send(http, url, () => ({ method: 'GET', headers: { accept: 'application/json' } }), signal);
  } catch (err) {
    throw new DiscoveryError(`Could not fetch authorization server metadata from ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (result.status !== 200) throw new DiscoveryError(`${url} answered HTTP ${result.status}`, { cause: errorFrom(url, result) });
  const m = result.body as Record<string, unknown> | undefined;
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new DiscoveryError(`${url} did not return a JSON object`);
  if (m.issuer !== issuer) throw new DiscoveryError(`Metadata issuer ${JSON.stringify(m.issuer)} does not match the configured issuer ${JSON.stringify(issuer)} (RFC 8414 §3.3)`);
  for (const field of ['token_endpoint', 'jwks_uri', 'revocation_endpoint', 'introspection_endpoint']) {
    if (m[field] !== undefined && !isHttpUrl(m[field])) throw new DiscoveryError(`Metadata field ${field} is not an http(s) URL`);
  }
  return m as AuthorizationServerMetadata;
}

/** Discovers once and shares the result; a failed attempt is forgotten so that the next call tries again. */
export class MetadataCache {
  private pending: Promise<AuthorizationServerMetadata> | undefined;

  constructor(
    private readonly http: HttpSettings,
    private readonly issuer: string,
  ) {}

  get(): Promise<AuthorizationServerMetadata> {
    if (!this.pending) {
      // Shared by every caller: bounded by the timeout, not by one caller's signal.
      this.pending = discover(this.http, this.issuer);
      this.pending.catch(() => (this.pending = undefined));
    }
    return this.pending;
  }
}
