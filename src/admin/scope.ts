import { isValidScopeToken } from '../oauth/scope.js';
import type { Problem } from './problems.js';

/**
 * Scope as operators write it: space-delimited, any run of whitespace between tokens, repeats dropped (first
 * occurrence kept). '' or only spaces is the empty list. The wire grammar (RFC 6749 §3.3, exactly one space) is
 * the token endpoint's business; configuration is forgiving about spacing but not about tokens.
 */
export function splitScope(raw: string): string[] {
  const trimmed = raw.trim();
  return trimmed === '' ? [] : [...new Set(trimmed.split(/\s+/))];
}

/** One problem per token that is not an RFC 6749 §3.3 scope-token. */
export function scopeProblems(raw: string, path: string): Problem[] {
  return splitScope(raw)
    .filter((s) => !isValidScopeToken(s))
    .map((s) => ({ path, message: `"${s}" is not a valid scope token (RFC 6749 §3.3)` }));
}
