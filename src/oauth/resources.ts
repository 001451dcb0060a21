import type { Client, RefreshFamily } from '../store/types.js';
import { OAuthError } from './errors.js';

/**
 * Resource indicators (RFC 8707) and the RFC 8693 `audience` parameter, for every grant: what a request asks the
 * token to be for, checked against what the client may ask for, becomes the token's `aud`.
 *
 * - `resource` may repeat (RFC 8707 §2); each value is an absolute URI without a fragment, else invalid_target.
 * - `audience` is an alias (the Hydra / Auth0 style): it may repeat (RFC 8693 §2.1) and each value may hold several
 *   audiences separated by spaces (Hydra). An audience is any non-empty string without whitespace.
 * - The client's allowed list is `allowed_resources`, or when that is not set its `audience` list; a client with
 *   neither may not choose (invalid_target, RFC 8707 §2 / RFC 8693 §2.2.2).
 * - Nothing asked for: undefined, and the issuer keeps the default audience (the client's audience, else the
 *   server's). This costs two Map look-ups on the hot path.
 */

/** The parameters RFC 8707 / RFC 8693 define as repeatable: the only ones the form parser lets repeat. */
export const REPEATABLE_PARAMETERS: ReadonlySet<string> = new Set(['resource', 'audience']);

/**
 * How the form parser keeps the values of a repeated parameter in the single-valued parameter map: joined by one
 * space. Neither a URI (RFC 3986 §2: no space) nor an audience (split on spaces anyway) can hold one, so the
 * join loses nothing; a resource value with a raw space is refused either way.
 */
export const REPEAT_SEPARATOR = ' ';

/** More would only make a token nobody can use; a bound keeps the check and the `aud` array small. */
export const MAX_TARGETS = 20;

function isResourceUri(value: string): boolean {
  if (/\s/.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  // RFC 8707 §2: absolute (a URL parses only with a scheme) and no fragment, not even an empty one.
  return url.hash === '' && !value.includes('#');
}

/** The audiences the request names, in order, without repeats; undefined when it names none. */
export function requestedTargets(params: ReadonlyMap<string, string>): string[] | undefined {
  const resource = params.get('resource');
  const audience = params.get('audience');
  if (resource === undefined && audience === undefined) return undefined;
  const out: string[] = [];
  if (resource !== undefined) {
    for (const r of resource.split(REPEAT_SEPARATOR)) {
      if (!isResourceUri(r)) throw OAuthError.invalidTarget('The resource parameter must be an absolute URI without a fragment (RFC 8707 section 2)');
      out.push(r);
    }
  }
  if (audience !== undefined) for (const a of audience.split(/\s+/)) if (a !== '') out.push(a);
  const unique = [...new Set(out)];
  if (unique.length === 0) return undefined;
  if (unique.length > MAX_TARGETS) throw OAuthError.invalidTarget(`At most ${MAX_TARGETS} resources or audiences may be requested`);
  return unique;
}

/** What the client may ask for: allowed_resources, else its audience list, else nothing. */
export function allowedTargets(client: Client): readonly string[] {
  return client.allowedResources ?? client.audience ?? [];
}

const NOT_ALLOWED = 'The requested resource or audience is not allowed for this client';

/**
 * A grant that starts something (every grant but refresh): the requested audiences, each allowed for the client,
 * or undefined for the default. Throws invalid_target before the grant does any other work it can avoid.
 */
export function resolveTargets(params: ReadonlyMap<string, string>, client: Client): string[] | undefined {
  // The hot path (client_credentials without either parameter) returns here.
  if (!params.has('resource') && !params.has('audience')) return undefined;
  const wanted = requestedTargets(params);
  if (wanted === undefined) return undefined;
  const allowed = allowedTargets(client);
  for (const t of wanted) if (!allowed.includes(t)) throw OAuthError.invalidTarget(NOT_ALLOWED);
  return wanted;
}

/**
 * RFC 8707 §2.2, on refresh: the family remembers what it was granted. Nothing requested: the whole original
 * grant again (what the client may still ask for of it). Requested: a subset of the original grant, or, for a
 * family that was granted the default audience, of what the client may ask for. Either way only what the client
 * may still ask for now (an operator who removed a resource ends it for live families too).
 */
export function refreshTargets(params: ReadonlyMap<string, string>, client: Client, family: Pick<RefreshFamily, 'audience'>): string[] | undefined {
  const granted = family.audience ?? null;
  const wanted = params.has('resource') || params.has('audience') ? requestedTargets(params) : undefined;
  if (granted === null && wanted === undefined) return undefined;
  const allowed = allowedTargets(client);
  if (wanted === undefined) {
    const still = granted!.filter((t) => allowed.includes(t));
    if (still.length === 0) throw OAuthError.invalidTarget('The resources this refresh token was granted are no longer allowed for this client');
    return still;
  }
  for (const t of wanted) {
    if (granted !== null && !granted.includes(t)) throw OAuthError.invalidTarget('The requested resource exceeds what the refresh token was granted (RFC 8707 section 2.2)');
    if (!allowed.includes(t)) throw OAuthError.invalidTarget(NOT_ALLOWED);
  }
  return wanted;
}
