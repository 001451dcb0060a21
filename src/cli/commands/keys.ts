import type { Command } from 'commander';
import { SIGNING_ALGS } from '../../keys/generate.js';
import { describeSigningKey, retireSigningKey, rotateSigningKey } from '../../admin/signing-keys.js';
import { withAdmin } from '../admin-call.js';
import { storeOptions } from '../context.js';
import { print, printTable } from '../output.js';

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('manage signing keys');

  storeOptions(keys.command('list').description('list signing keys (public parts only)')).action(async (f: { json?: boolean }) => {
    await withAdmin(f, async ({ store, json }) => {
      const list = (await store.keys.list()).map(describeSigningKey);
      if (json) print(list, true);
      else printTable(['KID', 'ALG', 'STATUS', 'CREATED_AT', 'PUBLISHED_UNTIL'], list.map((k) => [k.kid, k.alg, k.status, k.created_at, k.published_until ?? '-'].map(String)), 'No signing keys (the server creates one when it first starts).');
    });
  });

  storeOptions(keys.command('rotate').description('add a new active signing key; the old one stays in the JWKS until its tokens expire').option('--alg <alg>', `${SIGNING_ALGS.join(', ')} (default: the configured signing alg)`)).action(
    async (f: { alg?: string; json?: boolean }) => {
      await withAdmin(f, async ({ audit, store, config, masterKey, json }) => {
        const key = await rotateSigningKey(store, f.alg ?? config.signingAlg, { masterKey, maxAccessTokenTtl: config.maxAccessTokenTtl, clockSkew: config.clockSkew }, audit);
        print({ kid: key.kid, alg: key.alg, status: key.status }, json);
      });
    },
  );

  storeOptions(keys.command('retire').description('retire one of several active keys without rotating (never the only one); it stays in the JWKS until its tokens expire').argument('<kid>')).action(
    async (kid: string, f: { json?: boolean }) => {
      await withAdmin(f, async ({ audit, store, config, json }) => {
        print(describeSigningKey(await retireSigningKey(store, kid, { maxAccessTokenTtl: config.maxAccessTokenTtl, clockSkew: config.clockSkew }, audit)), json);
      });
    },
  );
}
