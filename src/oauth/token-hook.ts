import { createHmac } from 'node:crypto';
import type { Config } from '../config.js';
import type { Client } from '../store/types.js';
import type { EventHub } from '../observability/events.js';
import { OAuthError } from './errors.js';
import { RESERVED_CLAIMS } from './claims.js';

/**
 * The token hook (docs/tokens.md "Token hook"; the idea of Hydra's token hook): before a token is issued to a
 * client that opted in (client field `token_hook`: fail_open | fail_closed), Tessera POSTs what it is about to
 * issue to the configured URL, and the answer may add claims. Off unless `tokenHook.url` is configured.
 *
 * Request: JSON body (below), headers `x-tessera-timestamp: <unix seconds>` and
 * `x-tessera-signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. A receiver recomputes the HMAC
 * over the exact bytes, compares in constant time and refuses an old timestamp (@tessera/client verifyTokenHook).
 * Answer: 204 (nothing to add) or 200 with `{"claims": {...}}`. Anything else is a failure:
 *   timeout   no answer within tokenHook.timeoutMs (AbortSignal.timeout)
 *   error     the connection failed, or a status other than 200 / 204
 *   rejected  an answer Tessera refuses: not JSON, not an object, too large, or naming a reserved claim
 * A fail_open client then gets its token without the hook's claims; a fail_closed client gets
 * temporarily_unavailable (503, Retry-After: RFC 6749 §5.2 has no better code for "a dependency did not answer",
 * and DESIGN.md maps every infrastructure outage to it). Either way one `token_hook.failed` event is emitted.
 */

export type TokenHookMode = 'fail_open' | 'fail_closed';
export type TokenHookOutcome = 'ok' | 'timeout' | 'error' | 'rejected';

/** What the hook is told: nothing secret (no token, no credential), only what the token will say. */
export interface TokenHookInput {
  client: Client;
  subject: string;
  scope: readonly string[];
  audience?: readonly string[] | undefined;
  username?: string | null | undefined;
  orgId?: string | null | undefined;
  /** The client's template claims, already evaluated (the hook may build on them). */
  claims?: Record<string, unknown> | undefined;
  requestId?: string | undefined;
}

/** The largest answer read; a hook that sends more is `rejected`. */
const MAX_ANSWER_BYTES = 16 * 1024;
/** The claims a hook adds, as JSON: the same bound as a client's metadata (admin/metadata.ts). */
const MAX_CLAIMS_BYTES = 4096;

export function signTokenHookBody(secret: string, timestamp: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

class Rejected extends Error {}

function claimsOf(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Rejected('the answer is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Rejected('the answer is not a JSON object');
  const claims = (parsed as { claims?: unknown }).claims;
  if (claims === undefined) return {};
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new Rejected('claims is not an object');
  for (const name of Object.keys(claims)) if (RESERVED_CLAIMS.has(name)) throw new Rejected(`the answer sets the reserved claim ${name}`);
  if (Buffer.byteLength(JSON.stringify(claims)) > MAX_CLAIMS_BYTES) throw new Rejected('the claims are too large');
  return claims as Record<string, unknown>;
}

export class TokenHook {
  /** Per-outcome counts since start, a plain object the metrics module reads (no dependency on it here). */
  readonly counters: Record<TokenHookOutcome, number> = { ok: 0, timeout: 0, error: 0, rejected: 0 };

  constructor(
    private readonly config: Config['tokenHook'],
    private readonly events: EventHub,
    private readonly issuer: () => string,
    private readonly now: () => number,
  ) {}

  get enabled(): boolean {
    return this.config.url !== undefined && this.config.secret !== undefined;
  }

  /** Whether issuing to this client calls the hook (one property check for a client that did not opt in). */
  appliesTo(client: Client): boolean {
    return client.tokenHook != null && this.enabled;
  }

  /**
   * The hook's claims for one issuance; undefined when it adds none or failed open. Throws temporarily_unavailable
   * when it failed and the client is fail_closed.
   */
  async claimsFor(input: TokenHookInput): Promise<Record<string, unknown> | undefined> {
    const mode = input.client.tokenHook!;
    let outcome: TokenHookOutcome;
    let reason: string;
    try {
      const claims = await this.call(input);
      this.counters.ok++;
      return Object.keys(claims).length === 0 ? undefined : claims;
    } catch (err) {
      if (err instanceof Rejected) [outcome, reason] = ['rejected', err.message];
      else if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) [outcome, reason] = ['timeout', `no answer within ${this.config.timeoutMs} ms`];
      else [outcome, reason] = ['error', err instanceof HookStatus ? err.message : 'the request failed'];
    }
    this.counters[outcome]++;
    this.events.emit({ type: 'token_hook.failed', clientId: input.client.clientId, subject: input.subject, requestId: input.requestId ?? null, details: { outcome, reason, mode } });
    if (mode === 'fail_closed') throw OAuthError.temporarilyUnavailable('The token hook did not answer; retry later');
    return undefined;
  }

  private async call(input: TokenHookInput): Promise<Record<string, unknown>> {
    const body = JSON.stringify({
      iss: this.issuer(),
      client_id: input.client.clientId,
      sub: input.subject,
      scope: input.scope.join(' '),
      ...(input.audience ? { aud: input.audience } : {}),
      ...(input.username ? { username: input.username } : {}),
      ...(input.orgId ? { org_id: input.orgId } : {}),
      claims: input.claims ?? {},
    });
    const timestamp = this.now();
    const res = await fetch(this.config.url!, {
      method: 'POST',
      body,
      redirect: 'manual',
      headers: { 'content-type': 'application/json', 'x-tessera-timestamp': String(timestamp), 'x-tessera-signature': signTokenHookBody(this.config.secret!, timestamp, body) },
      signal: AbortSignal.timeout(this.config.timeoutMs),
    });
    if (res.status === 204) {
      await res.body?.cancel();
      return {};
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new HookStatus(`the hook answered HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > MAX_ANSWER_BYTES) {
      await res.body?.cancel();
      throw new Rejected('the answer is too large');
    }
    const text = await res.text();
    if (Buffer.byteLength(text) > MAX_ANSWER_BYTES) throw new Rejected('the answer is too large');
    return claimsOf(text);
  }
}

class HookStatus extends Error {}
