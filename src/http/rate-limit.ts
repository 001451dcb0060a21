import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../oauth/context.js';
import { OAuthError } from '../oauth/errors.js';
import { ThrottledError } from '../oauth/throttle.js';
import type { RateDecision } from '../limits/types.js';
import type { Client, RateLimitSetting } from '../store/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    rateDecision?: RateDecision;
  }
}

/** The tighter of two decisions: the one with less room left, or the one that refused. */
function tighter(a: RateDecision | undefined, b: RateDecision): RateDecision {
  if (!a) return b;
  if (!a.allowed) return a;
  if (!b.allowed) return b;
  return b.remaining < a.remaining ? b : a;
}

/**
 * X-Rate-Limit-Reset: the Unix time (seconds) at or after the window's end, rounded up so that a client retrying
 * at that second is past the window. Derived from the window's own end, so it is the same for every answer in
 * one window.
 */
function resetTime(d: RateDecision): number {
  return Math.ceil(d.resetAt / 1000);
}

/**
 * Retry-After and RateLimit's t=: whole seconds from the second the decision was made in (the Date header's) to
 * resetTime, i.e. the seconds until the reset time rounded up, so Date + Retry-After = X-Rate-Limit-Reset.
 */
function secondsToReset(d: RateDecision): number {
  return Math.max(0, resetTime(d) - Math.floor((d.resetAt - d.resetMs) / 1000));
}

/**
 * Writes the SMSCX-documented X-Rate-Limit-* headers and the IETF RateLimit-Policy / RateLimit fields
 * (draft-ietf-httpapi-ratelimit-headers) for the tightest limit that applied to this request. As SMSCX
 * documents it, X-Rate-Limit-Reset (a Unix time) comes with a refusal only; every answer carries the seconds
 * to the reset in RateLimit's t=.
 */
export function writeRateLimitHeaders(reply: FastifyReply, d: RateDecision): void {
  reply.header('x-rate-limit-limit', String(d.limit));
  reply.header('x-rate-limit-remaining', String(d.remaining));
  if (!d.allowed) reply.header('x-rate-limit-reset', String(resetTime(d)));
  reply.header('ratelimit-policy', `"default";q=${d.limit};w=${d.window}`);
  reply.header('ratelimit', `"default";r=${d.remaining};t=${secondsToReset(d)}`);
}

/**
 * Records the decision on the request; the headers are written once, when the response is sent (app.ts onSend),
 * for success and error answers alike.
 */
function record(request: FastifyRequest, d: RateDecision, ctx: OAuthContext, limit: RateLimitKind, key: string, clientId: string | null): void {
  request.rateDecision = tighter(request.rateDecision, d);
  if (!d.allowed) {
    ctx.metrics.rateLimitRejections.inc(limit);
    // One event per key and window: a flood of refused requests is not a flood of audit writes.
    if (ctx.rateLimitNotices.first(key, d.resetAt)) {
      ctx.events.emit({ type: 'rate_limit.rejected', clientId, address: request.ip, requestId: request.id, details: { limit, points: d.limit, window: d.window } });
    }
    throw OAuthError.tooManyRequests(Math.max(1, secondsToReset(d)));
  }
}

/** Which limit refused (the `limit` label of tessera_rate_limit_rejections_total). */
type RateLimitKind = 'ip' | 'client';

/**
 * A failure throttle's refusal (oauth/throttle.ts) carries its own decision: the answer's rate-limit headers
 * describe that refusal, not the address's request budget that the request passed.
 */
export function recordThrottleRefusal(request: FastifyRequest, err: unknown): void {
  if (err instanceof ThrottledError) request.rateDecision = err.decision;
}

/**
 * A refusal is a rejection, never a synchronous throw; an in-process decision needs no promise at all (undefined:
 * go ahead), a Redis one is waited for.
 */
function consume(request: FastifyRequest, ctx: OAuthContext, limit: RateLimitKind, key: string, setting: RateLimitSetting, clientId: string | null = null): Promise<void> | undefined {
  try {
    const d = ctx.limits.rate.consume(key, setting);
    if (d instanceof Promise) return d.then((x) => record(request, x, ctx, limit, key, clientId));
    record(request, d, ctx, limit, key, clientId);
    return undefined;
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Per source IP, before anything else is spent on the request. */
export function limitByIp(request: FastifyRequest, _reply: FastifyReply, ctx: OAuthContext): Promise<void> | undefined {
  if (!ctx.config.rateLimit.enabled) return undefined;
  return consume(request, ctx, 'ip', `ip:${request.ip}`, ctx.config.rateLimit.perIp);
}

/**
 * Per authenticated client, with the client's own limit when it has one. A public client (RFC 6749 §2.1) is
 * "authenticated" by its client_id alone, which anyone may send, so one address could spend the budget of every
 * user of the app: its budget is counted per (client, source address) instead. Confidential clients proved a
 * credential, so theirs is one budget, and their key is built exactly as before.
 */
export function limitByClient(request: FastifyRequest, _reply: FastifyReply, ctx: OAuthContext, client: Client): Promise<void> | undefined {
  if (!ctx.config.rateLimit.enabled) return undefined;
  // An IP address never contains '|', so the address ends where the client id begins.
  const key = client.tokenEndpointAuthMethod === 'none' ? `public:${request.ip}|${client.clientId}` : `client:${client.clientId}`;
  return consume(request, ctx, 'client', key, client.rateLimit ?? ctx.config.rateLimit.perClient, client.clientId);
}
