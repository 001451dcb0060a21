import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { AuthMethod } from '../store/types.js';
import { distinguishedNameProblem } from '../oauth/mtls/distinguished-name.js';
import type { ClientInput } from './client-fields.js';
import { at, type Problem } from './problems.js';

/** RFC 8705 §2.1.2: the ways a tls_client_auth client's certificate may name it; a client registers exactly one. */
export const TLS_NAME_FIELDS = ['tls_client_auth_subject_dn', 'tls_client_auth_san_dns', 'tls_client_auth_san_uri', 'tls_client_auth_san_ip', 'tls_client_auth_san_email'] as const;

/** The certificates of an inline JWK Set's keys (x5c[0]) that do not parse; and whether any key names a certificate. */
function jwksCertificates(jwks: ClientInput['jwks']): { any: boolean; broken: number[] } {
  const broken: number[] = [];
  let any = false;
  (jwks?.keys ?? []).forEach((key, i) => {
    const x5c = (key as Record<string, unknown>).x5c;
    if (typeof (key as Record<string, unknown>)['x5t#S256'] === 'string') any = true;
    if (x5c === undefined) return;
    if (!Array.isArray(x5c) || typeof x5c[0] !== 'string') return void broken.push(i);
    try {
      new X509Certificate(Buffer.from(x5c[0], 'base64'));
      any = true;
    } catch {
      broken.push(i);
    }
  });
  return { any, broken };
}

/**
 * The mutual-TLS rules of one client record (RFC 8705): a tls_client_auth client names its certificate exactly
 * one way, in a form that can match; the names belong to tls_client_auth only; a self_signed_tls_client_auth
 * client registers its certificate in `jwks` or at `jwks_uri`. (A public client's refresh tokens follow its
 * certificate, §4: oauth/confirmation.ts familyBinding.)
 */
export function mtlsProblems(c: Partial<ClientInput>, method: AuthMethod, ok: (...fields: Array<keyof ClientInput>) => boolean, base: string): Problem[] {
  const out: Problem[] = [];
  const add = (field: string, message: string) => out.push({ path: at(base, field), message });
  const named = TLS_NAME_FIELDS.filter((f) => c[f] !== undefined);
  if (ok('token_endpoint_auth_method')) {
    if (method === 'tls_client_auth' && named.length === 0 && TLS_NAME_FIELDS.every((f) => ok(f))) add('tls_client_auth_subject_dn', `tls_client_auth needs exactly one of ${TLS_NAME_FIELDS.join(', ')}`);
    if (method === 'tls_client_auth' && named.length > 1) add(named[1]!, `tls_client_auth takes exactly one of ${TLS_NAME_FIELDS.join(', ')}; ${named.join(' and ')} are set`);
    if (method !== 'tls_client_auth') for (const f of named) add(f, 'is for token_endpoint_auth_method "tls_client_auth" only');
    // RFC 8705 §2.2.2: the certificates are registered with jwks or jwks_uri (as private_key_jwt's keys). The
    // inline set, which authentication reads first, must name one; what a jwks_uri serves can change at any time,
    // so it is checked when the client authenticates (its URL by the client rules).
    if (method === 'self_signed_tls_client_auth' && ok('jwks', 'jwks_uri')) {
      if (c.jwks === undefined && c.jwks_uri === undefined) add('jwks', 'self_signed_tls_client_auth needs jwks or jwks_uri');
      else if (c.jwks !== undefined && !jwksCertificates(c.jwks).any) add('jwks', 'self_signed_tls_client_auth needs the client certificate in a key\'s x5c (or its x5t#S256) of jwks');
    }
    if ((method === 'tls_client_auth' || method === 'self_signed_tls_client_auth') && c.client_secret !== undefined) add('client_secret', `a ${method} client authenticates with its certificate and has no secret`);
  }
  if (c.jwks !== undefined) for (const i of jwksCertificates(c.jwks).broken) out.push({ path: `${at(at(at(base, 'jwks'), 'keys'), i)}.x5c`, message: 'must be an array whose first entry is a base64 DER certificate' });
  if (c.tls_client_auth_subject_dn !== undefined) {
    const problem = distinguishedNameProblem(c.tls_client_auth_subject_dn);
    if (problem) add('tls_client_auth_subject_dn', problem);
  }
  if (c.tls_client_auth_san_ip !== undefined && isIP(c.tls_client_auth_san_ip) === 0) add('tls_client_auth_san_ip', 'must be an IPv4 or IPv6 address');
  if (c.tls_client_auth_san_uri !== undefined && !URL.canParse(c.tls_client_auth_san_uri)) add('tls_client_auth_san_uri', 'must be an absolute URI, e.g. spiffe://example.org/service');
  if (c.tls_client_auth_san_dns !== undefined && !/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(c.tls_client_auth_san_dns)) add('tls_client_auth_san_dns', 'must be a DNS name');
  if (c.tls_client_auth_san_email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(c.tls_client_auth_san_email)) add('tls_client_auth_san_email', 'must be an e-mail address');
  return out;
}
