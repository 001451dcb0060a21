/* Checks across settings that the schema alone cannot make, and the values loadConfig derives from them. */
import { readFileSync } from 'node:fs';
import { trustedProxyProblem } from '../net/trusted-proxies.js';
import { parseDuration } from '../duration.js';
import { ConfigError } from './error.js';
import type { Config, ConfigInput } from './schema.js';

/**
 * The trusted proxies as a list. `true` is refused: it trusts every hop, so the leftmost X-Forwarded-For entry,
 * which the client writes itself, would become its address for rate limits and login throttles.
 */
export function trustedProxies(value: boolean | string | string[]): string[] {
  if (value === true) {
    throw new ConfigError(
      'invalid setting trustProxy: true would believe every client\'s own X-Forwarded-For; list the addresses or CIDRs of your proxies instead, e.g. TESSERA_TRUST_PROXY=10.0.0.0/8,127.0.0.1 (docs/deployment.md)',
    );
  }
  const entries = value === false ? [] : (typeof value === 'string' ? value.split(',') : value).map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    const problem = trustedProxyProblem(entry);
    if (problem) throw new ConfigError(`invalid setting trustProxy: ${problem}`);
  }
  return entries;
}

/**
 * TLS and mutual-TLS settings that cannot work together: a certificate without its key, client CAs without a
 * listener or a header to use them, a certificate header that no proxy may send (it would be ignored always).
 */
export function tlsProblems(cfg: ConfigInput, trustProxy: readonly string[]): void {
  if ((cfg.tls.cert === undefined) !== (cfg.tls.key === undefined)) throw new ConfigError('invalid setting tls: cert and key go together (--tls-cert and --tls-key)');
  if (cfg.tls.clientCa !== undefined && cfg.tls.cert === undefined && cfg.mtls.certificateHeader === undefined) {
    throw new ConfigError('invalid setting tls.clientCa: client certificates reach Tessera only on its own TLS listener (tls.cert, tls.key) or in mtls.certificateHeader from a trusted proxy');
  }
  if (cfg.mtls.certificateHeader !== undefined && trustProxy.length === 0) {
    throw new ConfigError('invalid setting mtls.certificateHeader: the header is believed only from the trusted proxies, and trustProxy lists none (docs/deployment.md)');
  }
  if (cfg.mtls.certificateHeader !== undefined && /^(x-forwarded-for|authorization|host|content-type|content-length|dpop)$/i.test(cfg.mtls.certificateHeader)) {
    throw new ConfigError(`invalid setting mtls.certificateHeader: "${cfg.mtls.certificateHeader}" is a header with another meaning`);
  }
  if (cfg.mtls.aliasBaseUrl !== undefined && cfg.tls.cert === undefined && cfg.mtls.certificateHeader === undefined) {
    throw new ConfigError('invalid setting mtls.aliasBaseUrl: client certificates reach Tessera only on its own TLS listener (tls.cert, tls.key) or in mtls.certificateHeader from a trusted proxy');
  }
  for (const [name, path] of Object.entries(cfg.tls)) {
    if (path === undefined) continue;
    try {
      readFileSync(path);
    } catch (err) {
      throw new ConfigError(`invalid setting tls.${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
}

/** events.webhook: a URL needs its secret and the reverse; the messages never repeat the secret. */
export function webhookProblem(w: ConfigInput['events']['webhook']): void {
  if (w.url === undefined && w.secret === undefined) return;
  if (w.url === undefined) throw new ConfigError('invalid setting events.webhook.secret: set events.webhook.url (TESSERA_EVENTS_WEBHOOK_URL) too, or remove the secret');
  if (w.secret === undefined) throw new ConfigError('invalid setting events.webhook.url: set events.webhook.secret (TESSERA_EVENTS_WEBHOOK_SECRET), at least 16 characters, that receivers verify the signature with');
  let u: URL;
  try {
    u = new URL(w.url);
  } catch {
    throw new ConfigError('invalid setting events.webhook.url: not a URL');
  }
  if (u.username || u.password) throw new ConfigError('invalid setting events.webhook.url: put no credentials in the URL (the signature authenticates Tessera)');
}

/** tokenHook: the hook sees subjects and claims, so https (http to this machine only), and never unsigned. */
export function tokenHookProblem(hook: ConfigInput['tokenHook']): void {
  if (hook.url === undefined) return;
  const u = new URL(hook.url);
  const loopback = u.hostname === 'localhost' || u.hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(u.hostname);
  if (u.username || u.password || u.hash || (u.protocol === 'http:' && !loopback)) throw new ConfigError('invalid setting tokenHook.url: must be an https URL (http only for loopback hosts), without credentials or fragment');
  if (hook.secret === undefined) throw new ConfigError('invalid setting tokenHook.secret: required when tokenHook.url is set (the request is HMAC-signed)');
}

/**
 * keys.rotateEvery and keys.prePublish in seconds. The new key must be published for a while before it signs
 * (prePublish at least 1 s), and that window must end before the next rotation would start (prePublish below
 * rotateEvery), or two keys would be pending at once.
 */
export function keySchedule(keys: { rotateEvery?: string | number; prePublish: string | number }): Config['keys'] {
  const duration = (name: string, value: string | number): number => {
    const seconds = parseDuration(value);
    if (seconds === undefined) throw new ConfigError(`invalid setting ${name}: "${value}" is not a duration (e.g. 90s, 15m, 1h, 30d, or a number of seconds)`);
    return seconds;
  };
  const prePublish = duration('keys.prePublish', keys.prePublish);
  if (prePublish < 1) throw new ConfigError('invalid setting keys.prePublish: must be at least 1s (resource servers need the new key in their JWKS cache before it signs)');
  const raw = keys.rotateEvery;
  if (raw === undefined || (typeof raw === 'string' && /^\s*off\s*$/i.test(raw))) return { rotateEvery: null, prePublish };
  const rotateEvery = duration('keys.rotateEvery', raw);
  if (rotateEvery < 1) throw new ConfigError('invalid setting keys.rotateEvery: must be at least 1s (leave it out, or "off", for no scheduled rotation)');
  if (prePublish >= rotateEvery) throw new ConfigError(`invalid setting keys.prePublish: must be shorter than keys.rotateEvery (${prePublish}s >= ${rotateEvery}s)`);
  return { rotateEvery, prePublish };
}
