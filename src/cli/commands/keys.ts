import type { Command } from 'commander';
import { generateSigningKey, SIGNING_ALGS } from '../../keys/generate.js';
import type { SigningAlg } from '../../store/types.js';
import { storeOptions, withStore } from '../context.js';
import { CliError, print } from '../output.js';

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('manage signing keys');

  storeOptions(keys.command('list').description('list signing keys (public parts only)')).action(async (f: { json?: boolean }) => {
    await withStore(f, async ({ store, json }) => {
      const list = (await store.keys.list()).map((k) => ({
        kid: k.kid,
        alg: k.alg,
        status: k.status,
        created_at: new Date(k.createdAt * 1000).toISOString(),
        ...(k.publishUntil ? { published_until: new Date(k.publishUntil * 1000).toISOString() } : {}),
      }));
      if (json) print(list, true);
      else for (const k of list) process.stdout.write(`${k.kid}\t${k.alg}\t${k.status}\t${k.created_at}${k.published_until ? `\tpublished until ${k.published_until}` : ''}\n`);
    });
  });

  storeOptions(keys.command('rotate').description('add a new active signing key; the old one stays in the JWKS until its tokens expire').option('--alg <alg>', `ES256, EdDSA or RS256 (default: the configured signing alg)`)).action(
    async (f: { alg?: string; json?: boolean }) => {
      await withStore(f, async ({ store, config, masterKey, json }) => {
        const alg = (f.alg ?? config.signingAlg) as SigningAlg;
        if (!SIGNING_ALGS.includes(alg)) throw new CliError(`--alg must be one of ${SIGNING_ALGS.join(', ')}`, 2);
        const now = Math.floor(Date.now() / 1000);
        // Tokens signed by the retired key live at most maxAccessTokenTtl; keep it published that long plus skew.
        const key = await store.keys.rotate(await generateSigningKey(alg, masterKey), now + config.maxAccessTokenTtl + config.clockSkew);
        print({ kid: key.kid, alg: key.alg, status: key.status }, json);
      });
    },
  );
}
