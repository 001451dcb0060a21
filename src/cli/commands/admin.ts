import type { Command } from 'commander';
import { loadConfig, type ConfigFlags } from '../../config.js';
import { openStore, describeStore } from '../../store/open.js';
import { basename } from 'node:path';
import { readImportFile } from '../../admin/import-document.js';
import { applyImportDocument } from '../../admin/import-apply.js';
import { storeOptions, withStore } from '../context.js';
import { print } from '../output.js';

export function registerAdminCommands(program: Command): void {
  storeOptions(program.command('migrate').description('apply database migrations')).action(async (flags: ConfigFlags & { json?: boolean }) => {
    const config = loadConfig(flags);
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 });
    await store.close();
    print(flags.json ? { migrated: describeStore(config) } : `migrated ${describeStore(config)}`, flags.json === true);
  });

  storeOptions(program.command('import').description('upsert clients, users, organizations, installations and identity providers from a JSON document').argument('<file>')).action(
    async (file: string, flags: ConfigFlags & { json?: boolean }) => {
      const doc = readImportFile(file);
      await withStore(flags, async ({ store, masterKey, config, json, audit }) => {
        // The importing person is the actor; the file is named in the details of each change.
        const summary = await applyImportDocument(store, doc, { masterKey, defaults: { accessTokenTtl: config.accessTokenTtl }, audit: { ...audit, actor: { kind: 'import', id: `${audit.actor.id}:${basename(file)}` } } });
        print(summary, json);
      });
    },
  );
}
