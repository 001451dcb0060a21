import type { FastifyInstance } from 'fastify';
import { ConfigError, type Config } from '../../config.js';
import type { OAuthContext } from '../../oauth/context.js';
import type { RoutePlugin } from '../plugins.js';
import { mountCobo } from './cobo.js';
import { mountKnetik } from './knetik.js';
import { mountSmscx } from './smscx.js';

type ProfileName = keyof Config['profiles'];
type Mount = (app: FastifyInstance, ctx: OAuthContext, prefix: string) => void;

/**
 * Compatibility profiles (DESIGN.md "Compatibility paths"): adapters that accept a seed platform's wire format
 * at a configurable prefix and hand the same TokenRequest to the same spine. The default routes stay RFC-shaped.
 */
const PROFILES: ReadonlyArray<{ name: ProfileName; mount: Mount; rootAllowed: boolean }> = [
  { name: 'cobo', mount: mountCobo, rootAllowed: true },
  { name: 'knetik', mount: mountKnetik, rootAllowed: true },
  // At the root SMSCX's error body would replace the RFC one on the default endpoint.
  { name: 'smscx', mount: mountSmscx, rootAllowed: false },
];

/** The enabled profiles and their prefixes; throws ConfigError for a combination that cannot be mounted. */
export function enabledProfiles(config: Config): Array<{ name: ProfileName; prefix: string }> {
  const out: Array<{ name: ProfileName; prefix: string }> = [];
  const owners = new Map<string, ProfileName>();
  for (const p of PROFILES) {
    const setting = config.profiles[p.name];
    if (!setting?.enabled) continue;
    const prefix = setting.prefix.replace(/\/+$/, '');
    if (prefix === '' && !p.rootAllowed) throw new ConfigError(`profile ${p.name} needs a path prefix (e.g. ${p.name}=/${p.name}): at the root it would change the RFC token endpoint`);
    const owner = owners.get(prefix);
    if (prefix !== '' && owner) throw new ConfigError(`profiles ${owner} and ${p.name} cannot share the prefix ${prefix}`);
    owners.set(prefix, p.name);
    out.push({ name: p.name, prefix });
  }
  return out;
}

export const profilesPlugin: RoutePlugin = (app, ctx) => {
  for (const { name, prefix } of enabledProfiles(ctx.config)) {
    PROFILES.find((p) => p.name === name)!.mount(app, ctx, prefix);
    ctx.logger.info({ profile: name, prefix: prefix || '/' }, 'compatibility profile enabled');
  }
};
