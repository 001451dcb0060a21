/**
 * Compares the output a docs page shows with what the command printed, structurally: the same keys, and the same
 * values where they are stable. Tokens, ids, secrets and timestamps differ on every run and are not compared; nor is
 * a value the page elides (`"eyJ..."`, `{...}`, `[...]`).
 */

const VOLATILE = new Set([
  'access_token', 'refresh_token', 'id_token', 'issued_token', 'device_code', 'user_code', 'code', 'jti', 'sub', 'iat',
  'exp', 'nbf', 'auth_time', 'client_secret', 'secret', 'password', 'id', 'secret_id', 'kid', 'created_at',
  'updated_at', 'last_used_at', 'expires_at', 'time', 'timestamp', 'request_id', 'requestId', 'x', 'y', 'n', 'e',
  'next', 'cursor', 'sid', 'iss', 'aud', 'issuer', 'nonce', 'location', 'user_id', 'subject',
]);

/** What `expected` (the page's text) says that `actual` (a command's stdout) does not; empty when they match. */
export function outputMismatches(expected: string, actual: string): string[] {
  const value = lastJson(actual);
  if (value === undefined) return [`the page shows ${expected.trim()}, but the command printed no JSON: ${actual.trim().slice(0, 300)}`];
  let shown: unknown;
  try {
    shown = JSON.parse(expected);
  } catch {
    // Elided text ({client_id,kind}, [...], {...}): every key the page names must be in the output.
    const keys = [...expected.matchAll(/[{,]\s*"?([A-Za-z_][\w-]*)"?\s*(?=[:,}])/g)].map((m) => m[1]!);
    const have = allKeys(value);
    return keys.filter((k) => !have.has(k)).map((k) => `key "${k}" shown by the page is missing from ${JSON.stringify(value).slice(0, 300)}`);
  }
  const problems: string[] = [];
  compare(shown, value, '$', problems);
  return problems;
}

function compare(shown: unknown, actual: unknown, path: string, problems: string[]): void {
  if (typeof shown === 'string' && shown.includes('...')) return;
  if (Array.isArray(shown)) {
    if (!Array.isArray(actual)) return void problems.push(`${path}: the page shows an array, got ${JSON.stringify(actual)}`);
    if (shown.includes('...')) return;
    if (shown.length !== actual.length) return void problems.push(`${path}: the page shows ${shown.length} items, got ${actual.length}`);
    shown.forEach((item, i) => compare(item, actual[i], `${path}[${i}]`, problems));
    return;
  }
  if (shown !== null && typeof shown === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return void problems.push(`${path}: the page shows an object, got ${JSON.stringify(actual)}`);
    const s = shown as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    for (const key of Object.keys(s)) {
      if (!(key in a)) problems.push(`${path}.${key}: shown by the page, missing from the output`);
      else if (VOLATILE.has(key)) {
        if (typeof s[key] !== typeof a[key] && s[key] !== null && a[key] !== null) problems.push(`${path}.${key}: the page shows a ${typeof s[key]}, got ${JSON.stringify(a[key])}`);
      } else compare(s[key], a[key], `${path}.${key}`, problems);
    }
    for (const key of Object.keys(a)) if (!(key in s)) problems.push(`${path}.${key}: in the output, not shown by the page`);
    return;
  }
  if (shown !== actual) problems.push(`${path}: the page shows ${JSON.stringify(shown)}, got ${JSON.stringify(actual)}`);
}

/** The last JSON value a command printed: the whole output, else its last line that parses. */
export function lastJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        return JSON.parse(lines[i]!);
      } catch {
        // not JSON; an earlier line may be
      }
    }
    return undefined;
  }
}

function allKeys(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => allKeys(v, into));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      allKeys(v, into);
    }
  }
  return into;
}
