import type { Client, Confirmation } from '../store/types.js';
import { isConfidential } from './grants/types.js';

export type { Confirmation } from '../store/types.js';

/**
 * RFC 9449 §5 / §7.1: a token bound to a DPoP key is of type DPoP (the token response's token_type, and the
 * introspection answer's). A token bound only to a certificate stays Bearer (RFC 8705 §3: the scheme does not change).
 */
export function tokenTypeFor(cnf: Confirmation | null | undefined): 'DPoP' | 'Bearer' {
  return cnf?.jkt !== undefined ? 'DPoP' : 'Bearer';
}

/**
 * What a new refresh-token family is bound to. Public clients' refresh tokens are bound to the key of the request
 * that started the family (RFC 9449 §5; RFC 8705 §4 for certificates); a confidential client's are not, since
 * they can only be used with its client authentication anyway.
 */
export function familyBinding(client: Client, cnf: Confirmation | undefined): Confirmation | null {
  if (cnf === undefined || isConfidential(client)) return null;
  return Object.keys(cnf).length > 0 ? cnf : null;
}

/**
 * Whether a request proved possession of every key a family is bound to: each member of `bound` must be
 * presented with the same value. An unbound family holds for any request.
 */
export function bindingHolds(bound: Confirmation | null | undefined, presented: Confirmation | undefined): boolean {
  if (bound === null || bound === undefined) return true;
  for (const [member, value] of Object.entries(bound) as Array<[keyof Confirmation, string | undefined]>) {
    if (value !== undefined && presented?.[member] !== value) return false;
  }
  return true;
}
