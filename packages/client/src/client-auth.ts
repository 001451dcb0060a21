import { importJWK, SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose';
import { basicAuthorization } from './encoding.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none' | 'tls_client_auth' | 'self_signed_tls_client_auth';

/** A private key for private_key_jwt: a Web Crypto CryptoKey, a private JWK, or (Node) a KeyObject. */
export type PrivateKeyInput = CryptoKey | KeyObject | JWK;

export interface ClientCredentialsConfig {
  clientId: string;
  clientSecret?: string | undefined;
  privateKey?: PrivateKeyInput | undefined;
  /** JWS algorithm for client assertions; inferred from the key when omitted. */
  privateKeyAlg?: string | undefined;
  /** `kid` header of client assertions (default: the JWK's kid, when given a JWK). */
  privateKeyId?: string | undefined;
  authMethod?: ClientAuthMethod | undefined;
  /** Lifetime of a client assertion (RFC 7523 §3 wants it short). Default 60 s. */
  assertionTtlSeconds?: number | undefined;
}

export interface AuthenticatedParts {
  headers: Record<string, string>;
  params: Record<string, string>;
}

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The method used when none is configured: Basic for a secret, a signed assertion for a key, else public. */
export function resolveAuthMethod(c: ClientCredentialsConfig): ClientAuthMethod {
  if (c.authMethod) return c.authMethod;
  if (c.clientSecret !== undefined) return 'client_secret_basic';
  if (c.privateKey !== undefined) return 'private_key_jwt';
  return 'none';
}

function isJwk(key: PrivateKeyInput): key is JWK {
  return typeof (key as JWK).kty === 'string';
}

/** RFC 7518 §3.1 names for a Web Crypto key's algorithm. */
function algOfCryptoKey(key: CryptoKey): string | undefined {
  const a = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  if (a.name === 'Ed25519') return 'EdDSA';
  if (a.name === 'ECDSA') return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[a.namedCurve ?? ''];
  const bits = a.hash?.name.replace('SHA-', '');
  if (a.name === 'RSASSA-PKCS1-v1_5' && bits) return `RS${bits}`;
  if (a.name === 'RSA-PSS' && bits) return `PS${bits}`;
  return undefined;
}

/** Applies the configured client authentication (RFC 6749 §2.3, RFC 7523 §2.2) to one request. */
export class ClientAuthenticator {
  readonly method: ClientAuthMethod;
  private signingKey: Promise<{ key: CryptoKey | KeyObject | Uint8Array; alg: string; kid: string | undefined }> | undefined;

  constructor(private readonly c: ClientCredentialsConfig) {
    this.method = resolveAuthMethod(c);
    if ((this.method === 'client_secret_basic' || this.method === 'client_secret_post') && c.clientSecret === undefined) {
      throw new TypeError(`authMethod ${this.method} needs clientSecret`);
    }
    if (this.method === 'private_key_jwt' && c.privateKey === undefined) throw new TypeError('authMethod private_key_jwt needs privateKey');
  }

  get clientId(): string {
    return this.c.clientId;
  }

  private loadKey() {
    const key = this.c.privateKey!;
    if (isJwk(key)) {
      const alg = this.c.privateKeyAlg ?? key.alg;
      if (!alg) throw new TypeError('privateKeyAlg is required when the private JWK has no "alg"');
      return importJWK(key, alg).then((k) => ({ key: k, alg, kid: this.c.privateKeyId ?? key.kid }));
    }
    const alg = this.c.privateKeyAlg ?? ('algorithm' in key ? algOfCryptoKey(key as CryptoKey) : undefined);
    if (!alg) throw new TypeError('privateKeyAlg is required for this private key');
    return Promise.resolve({ key, alg, kid: this.c.privateKeyId });
  }

  /** RFC 7523 §3: iss = sub = client_id, aud = the token endpoint, a unique jti, a short exp. */
  private async assertion(audience: string): Promise<string> {
    this.signingKey ??= this.loadKey();
    const { key, alg, kid } = await this.signingKey;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader(kid ? { alg, kid, typ: 'JWT' } : { alg, typ: 'JWT' })
      .setIssuer(this.c.clientId)
      .setSubject(this.c.clientId)
      .setAudience(audience)
      .setJti(crypto.randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + (this.c.assertionTtlSeconds ?? 60))
      .sign(key);
  }

  /** Headers and form parameters that authenticate the client; `assertionAudience` is the token endpoint. */
  async apply(assertionAudience: string): Promise<AuthenticatedParts> {
    switch (this.method) {
      case 'client_secret_basic':
        return { headers: { authorization: basicAuthorization(this.c.clientId, this.c.clientSecret!) }, params: {} };
      case 'client_secret_post':
        return { headers: {}, params: { client_id: this.c.clientId, client_secret: this.c.clientSecret! } };
      case 'private_key_jwt':
        return {
          headers: {},
          params: { client_id: this.c.clientId, client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: await this.assertion(assertionAudience) },
        };
      // RFC 8705 §2: the credential is the TLS client certificate (TokenClientOptions.dispatcher); the body names the client.
      case 'none':
      case 'tls_client_auth':
      case 'self_signed_tls_client_auth':
        return { headers: {}, params: { client_id: this.c.clientId } };
    }
  }
}
