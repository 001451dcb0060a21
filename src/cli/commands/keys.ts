import type { Command } from 'commander';
import { SIGNING_ALGS } from '../../keys/generate.js';
import { describeKeySchedule, describeSigningKey, retireSigningKey, rotateSigningKey } from '../../admin/signing-keys.js';
import { nowSeconds } from '../../admin/sessions.js';
import { withAdmin } from '../admin-call.js';
import { storeOptions } from '../context.js';
import { print, printTable } from '../output.js';

type Shown = Record<string, unknown>;

/** One line of the schedule: kid, alg and the times that matter for its state. */
const line = (label: string, k: Shown, times: string): string => `${label}\t${String(k.kid)}\t${String(k.alg)}\t${times}\n`;

function printSchedule(s: Shown): void {
  const rotation = s.rotation as Shown;
  process.stdout.write(rotation.enabled ? `rotation\tevery ${String(rotation.rotate_every)}, published ${String(rotation.pre_publish)} before it signs\n` : 'rotation\toff (keys.rotateEvery not set)\n');
  const current = s.current as Shown | null;
  if (current) process.stdout.write(line('current', current, `signing since ${String(current.activates_at)}`));
  const next = s.next as Shown | null;
  if (next?.published) process.stdout.write(line('next', next, `published, signs from ${String(next.activates_at)}`));
  else if (next) process.stdout.write(`next\t(not yet published)\tpublished at ${String(next.publish_at)}, signs from ${String(next.activates_at)}\n`);
  for (const k of s.retired as Shown[]) process.stdout.write(line('retired', k, k.published_until ? `in the JWKS until ${String(k.published_until)}` : 'in the JWKS'));
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('manage signing keys; without a subcommand: the rotation schedule');

  storeOptions(keys.command('schedule', { isDefault: true }).description('the rotation schedule: current key, next key and its activation, retired keys and when they leave the JWKS')).action(
    async (f: { json?: boolean }) => {
      await withAdmin(f, async ({ store, config, json }) => {
        const schedule = describeKeySchedule(await store.keys.list(), config.keys, nowSeconds());
        if (json) print(schedule, true);
        else printSchedule(schedule);
      });
    },
  );

  storeOptions(keys.command('list').description('list signing keys (public parts only)')).action(async (f: { json?: boolean }) => {
    await withAdmin(f, async ({ store, json }) => {
      const list = (await store.keys.list()).map(describeSigningKey);
      if (json) print(list, true);
      else printTable(['KID', 'ALG', 'STATUS', 'CREATED_AT', 'SIGNS_FROM', 'PUBLISHED_UNTIL'], list.map((k) => [k.kid, k.alg, k.status, k.created_at, k.activates_at ?? '-', k.published_until ?? '-'].map(String)), 'No signing keys (the server creates one when it first starts).');
    });
  });

  storeOptions(keys.command('rotate').description('add a new active signing key now (a scheduled next key is superseded); the old ones stay in the JWKS until their tokens expire').option('--alg <alg>', `${SIGNING_ALGS.join(', ')} (default: the configured signing alg)`)).action(
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
