import type { Client } from '../store/types.js';
import { OAuthError } from './errors.js';

/**
 * RFC 8693 delegation rules, pure (no I/O): who the actor is, whether it may act for the subject (the subject
 * token's `may_act`, §4.4, and the client's policy), and the `act` claim of the issued token (§4.1).
 *
 * Every refusal is `invalid_request`: RFC 8693 §2.2.2 says an actor_token or subject_token that is invalid "or
 * unacceptable based on policy" gets that code.
 */

/** The party that acts, as its (our own) access token names it. */
export interface Actor {
  readonly sub: string;
  /** The client the actor token was issued to, when that is not the actor itself. */
  readonly clientId?: string;
  /** Absent: this server's issuer (an actor token is always one of our access tokens). */
  readonly iss?: string;
}

/** A prior actor chain from a subject token longer than this is refused (the issued token stays small). */
export const MAX_PRIOR_ACTORS = 5;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const refuse = (why: string) => OAuthError.invalidRequest(why);

/**
 * A subject token's `act` as it may enter our token: only the identity claims §4.1 gives meaning to (sub, iss,
 * client_id, and a nested act), each a string. `contextIss` is the issuer of the token the chain came from: §4.1
 * reads an act claim without iss in the context of its token's issuer, so the copy names that issuer when it
 * was not ours.
 */
function priorChain(act: unknown, contextIss: string, ourIssuer: string, depth: number): Record<string, unknown> {
  if (depth > MAX_PRIOR_ACTORS) throw refuse(`The subject token's delegation chain is longer than ${MAX_PRIOR_ACTORS} actors`);
  if (!isObject(act) || typeof act.sub !== 'string' || act.sub.length === 0 || act.sub.length > 255) throw refuse('The subject token has an act claim without a valid sub (RFC 8693 §4.1)');
  for (const k of ['iss', 'client_id'] as const) if (act[k] !== undefined && typeof act[k] !== 'string') throw refuse(`The subject token's act claim has a non-string ${k}`);
  const iss = (act.iss as string | undefined) ?? contextIss;
  const out: Record<string, unknown> = { sub: act.sub };
  if (iss !== ourIssuer) out.iss = iss;
  if (act.client_id !== undefined) out.client_id = act.client_id;
  if (act.act !== undefined) out.act = priorChain(act.act, iss, ourIssuer, depth + 1);
  return out;
}

/**
 * RFC 8693 §4.1: the issued token's `act` names the current actor; the subject token's own `act` (earlier actors)
 * nests inside it, most recent outermost.
 */
export function actClaim(actor: Actor, subjectAct: unknown, subjectIss: string, ourIssuer: string): Record<string, unknown> {
  const act: Record<string, unknown> = { sub: actor.sub };
  if (actor.iss !== undefined && actor.iss !== ourIssuer) act.iss = actor.iss;
  if (actor.clientId !== undefined && actor.clientId !== actor.sub) act.client_id = actor.clientId;
  if (subjectAct !== undefined) act.act = priorChain(subjectAct, subjectIss, ourIssuer, 1);
  return act;
}

/**
 * RFC 8693 §4.4: when the subject token says who may act for its subject, the actor must be that party: the
 * same sub, and the same issuer (may_act's iss, or else the subject token's issuer, against the actor's).
 */
export function checkMayAct(mayAct: unknown, actor: Actor, subjectIss: string, ourIssuer: string): void {
  if (mayAct === undefined) return;
  if (!isObject(mayAct) || typeof mayAct.sub !== 'string') throw refuse('The subject token has a may_act claim without a sub (RFC 8693 §4.4)');
  if (mayAct.iss !== undefined && typeof mayAct.iss !== 'string') throw refuse("The subject token's may_act claim has a non-string iss");
  const wantedIss = (mayAct.iss as string | undefined) ?? subjectIss;
  const actorIss = actor.iss ?? ourIssuer;
  if (mayAct.sub !== actor.sub || wantedIss !== actorIss) throw refuse("The actor is not the party the subject token's may_act claim names (RFC 8693 §4.4)");
}

const listed = (list: readonly string[], ...names: ReadonlyArray<string | null | undefined>): boolean =>
  list.includes('*') || names.some((n) => n !== undefined && n !== null && list.includes(n));

/**
 * The client's policy (the `delegation` client field): without one a client may not request delegation at all;
 * with one, the actor's sub must be in `actors` and the subject (any of its names) in `may_act_for` ("*" = any).
 */
export function checkDelegationPolicy(client: Client, actor: Actor, subjectNames: ReadonlyArray<string | null | undefined>): void {
  const policy = client.delegation;
  if (!policy) throw refuse('This client may not request delegation (actor_token); its delegation policy is not set');
  if (!listed(policy.actors, actor.sub)) throw refuse("The actor is not in this client's delegation policy (actors)");
  if (!listed(policy.may_act_for, ...subjectNames)) throw refuse("This client's delegation policy does not allow acting for this subject (may_act_for)");
}
