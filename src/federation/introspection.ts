import type { OAuthContext } from '../oauth/context.js';
import { OAuthError } from '../oauth/errors.js';
import { unseal } from '../keys/seal.js';
import { fetchJson, remoteUnavailable } from '../oauth/jwt/fetch.js';
import { delegationClaimsOf, emailOf, validSubject, type ExternalIdentity } from './identity.js';
import type { IntrospectionProvider } from './providers.js';
import { secretAad } from './provider-config.js';
import { countedIdpCall } from './idp-metrics.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function rejected(p: IntrospectionProvider, reason: string): OAuthError {
  return OAuthError.invalidGrant(`The subject token was rejected (${p.name}): ${reason}`);
}

function secret(p: IntrospectionProvider, ctx: OAuthContext, sealed: string, field: string): string {
  try {
    return unseal(ctx.masterKey, sealed, secretAad(p.name, field)).toString('utf8');
  } catch {
    // Sealed under another master key: an operator problem, not the caller's.
    ctx.logger.error({ provider: p.name }, `cannot unseal the ${field} of this identity provider (wrong master key?)`);
    throw remoteUnavailable(`The identity provider ${p.name}`);
  }
}

/** The provider's calls reported to the outage log: one line when it goes down, one when it answers again. */
function failureLog(p: IntrospectionProvider, ctx: OAuthContext): { onFailure: (reason: string) => void; onAnswer: () => void } {
  const upstream = `identity provider ${p.name}`;
  return { onFailure: (reason) => ctx.outages.failed(upstream, { provider: p.name }, reason), onAnswer: () => ctx.outages.succeeded(upstream, { provider: p.name }) };
}

function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+');
}

/** RFC 7662 §2.1: POST token=...&token_type_hint=access_token, authenticated with our client credentials (§2.1 "MUST"). */
async function introspectRfc7662(p: IntrospectionProvider, token: string, ctx: OAuthContext): Promise<ExternalIdentity> {
  const what = `The identity provider ${p.name}`;
  const clientSecret = secret(p, ctx, p.clientSecretSealed!, 'client_secret');
  const res = await fetchJson(p.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${formEncode(p.clientId!)}:${formEncode(clientSecret)}`).toString('base64'),
    },
    body: `token=${formEncode(token)}&token_type_hint=access_token`,
    timeoutMs: p.timeoutMs,
    what,
    ...failureLog(p, ctx),
  });
  if (res.status !== 200 || !isObject(res.json)) {
    ctx.logger.warn({ provider: p.name, status: res.status }, 'introspection endpoint answered with an error; check the provider credentials');
    throw remoteUnavailable(what);
  }
  const r = res.json;
  // §2.2: "active" is REQUIRED; anything but the boolean true is an inactive token.
  if (r.active !== true) throw rejected(p, 'the token is not active');
  const now = ctx.now();
  const skew = ctx.config.clockSkew;
  if (r.exp !== undefined && (typeof r.exp !== 'number' || r.exp <= now - skew)) throw rejected(p, 'the token has expired');
  if (typeof r.nbf === 'number' && r.nbf > now + skew) throw rejected(p, 'the token is not yet valid (nbf)');
  if (p.audiences) {
    const aud = typeof r.aud === 'string' ? [r.aud] : Array.isArray(r.aud) ? r.aud : [];
    if (!aud.some((a) => typeof a === 'string' && p.audiences!.includes(a))) throw rejected(p, 'the token is not meant for this audience');
  }
  if (p.acceptedClientIds && !(typeof r.client_id === 'string' && p.acceptedClientIds.includes(r.client_id))) throw rejected(p, 'the token was issued to another client');
  if (!validSubject(r.sub)) throw rejected(p, 'the introspection response has no usable sub');
  // An RFC 7662 answer need not name its issuer: the endpoint then stands for it (act, may_act: RFC 8693 §4).
  return { provider: p.name, subject: r.sub, ...emailOf(r), delegation: delegationClaimsOf(r, p.endpoint) };
}

/**
 * Facebook's debug_token (GET {endpoint}?input_token=<token>&access_token=<app token>) answers
 * {"data": {"app_id", "user_id", "is_valid", "expires_at", "scopes", ...}}. The token must be valid, issued to OUR
 * app (a token another app obtained for the same user must not log in here), and not expired (expires_at 0 = never).
 * Facebook does not vouch for an email here, so email linking never applies.
 */
async function introspectFacebook(p: IntrospectionProvider, token: string, ctx: OAuthContext): Promise<ExternalIdentity> {
  const what = `The identity provider ${p.name}`;
  const appToken = secret(p, ctx, p.appTokenSealed!, 'app_token');
  const url = new URL(p.endpoint);
  url.searchParams.set('input_token', token);
  url.searchParams.set('access_token', appToken);
  const res = await fetchJson(url.toString(), { timeoutMs: p.timeoutMs, what, ...failureLog(p, ctx) });
  const data = isObject(res.json) && isObject(res.json.data) ? res.json.data : undefined;
  if (res.status !== 200 || !data) {
    ctx.logger.warn({ provider: p.name, status: res.status }, 'debug_token answered with an error; check the app token');
    throw remoteUnavailable(what);
  }
  if (data.is_valid !== true) throw rejected(p, 'the token is not valid');
  if (String(data.app_id) !== p.appId) throw rejected(p, 'the token was issued to another app');
  if (data.type !== undefined && data.type !== 'USER') throw rejected(p, 'the token is not a user token');
  const exp = data.expires_at;
  if (exp !== undefined && (typeof exp !== 'number' || (exp !== 0 && exp <= ctx.now() - ctx.config.clockSkew))) throw rejected(p, 'the token has expired');
  const userId = typeof data.user_id === 'number' ? String(data.user_id) : data.user_id;
  if (!validSubject(userId)) throw rejected(p, 'the response has no user_id');
  return { provider: p.name, subject: userId, email: null, emailVerified: false };
}

/** Validates an opaque third-party token with its provider's introspection endpoint; counted per provider and outcome in the metrics (idp-metrics.ts). */
export function introspectToken(p: IntrospectionProvider, token: string, ctx: OAuthContext): Promise<ExternalIdentity> {
  return countedIdpCall(ctx, p.name, () => introspectTokenUncounted(p, token, ctx));
}

async function introspectTokenUncounted(p: IntrospectionProvider, token: string, ctx: OAuthContext): Promise<ExternalIdentity> {
  if (token.length > 8192) throw rejected(p, 'the token is too long');
  return p.format === 'facebook' ? introspectFacebook(p, token, ctx) : introspectRfc7662(p, token, ctx);
}
