import { VerificationError } from './verification-error.js';

/** One party in a token's delegation chain (RFC 8693 §4.1 `act`). */
export interface Actor {
  sub: string;
  /** The issuer in whose context `sub` is meant, when not the token's own. */
  iss?: string;
  /** The client the actor acted through, when Tessera recorded one. */
  clientId?: string;
}

/**
 * What a resource server requires of delegation:
 * - 'forbidden': refuse delegated tokens (the subject must call in person);
 * - 'required': only delegated tokens;
 * - { allowed: [...] }: only delegated tokens whose current actor (the outermost `act`) has one of these subs.
 * Absent: any token, delegated or not (the chain is still in VerifiedToken.actors).
 */
export type ActorRequirement = 'forbidden' | 'required' | { allowed: readonly string[] };

const MAX_CHAIN = 16;

/** The `act` chain as a list, current actor first (RFC 8693 §4.1 nests earlier actors inside). */
export function actorChain(act: unknown): Actor[] {
  const out: Actor[] = [];
  let cur = act;
  while (typeof cur === 'object' && cur !== null && !Array.isArray(cur) && out.length < MAX_CHAIN) {
    const a = cur as Record<string, unknown>;
    if (typeof a.sub !== 'string') throw new VerificationError('invalid_token', 'The access token has an act claim without sub');
    out.push({ sub: a.sub, ...(typeof a.iss === 'string' ? { iss: a.iss } : {}), ...(typeof a.client_id === 'string' ? { clientId: a.client_id } : {}) });
    cur = a.act;
  }
  if (act !== undefined && out.length === 0) throw new VerificationError('invalid_token', 'The access token has a malformed act claim');
  return out;
}

/** Throws invalid_token when the chain does not meet the requirement. */
export function checkActors(actors: readonly Actor[], requirement: ActorRequirement | undefined): void {
  if (requirement === undefined) return;
  if (requirement === 'forbidden') {
    if (actors.length > 0) throw new VerificationError('invalid_token', 'A delegated access token (act) is not accepted here');
    return;
  }
  if (actors.length === 0) throw new VerificationError('invalid_token', 'The access token must be a delegated token (act)');
  if (requirement !== 'required' && !requirement.allowed.includes(actors[0]!.sub)) throw new VerificationError('invalid_token', 'The acting party (act.sub) is not accepted here');
}
