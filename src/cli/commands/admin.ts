import type { Command } from 'commander';
import { loadConfig, type ConfigFlags } from '../../config.js';
import { openStore, describeStore } from '../../store/open.js';
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
      await withStore(flags, async ({ store, masterKey, config, json }) => {
        const summary = await applyImportDocument(store, doc, { masterKey, defaults: { accessTokenTtl: config.accessTokenTtl } });
        print(summary, json);
      });
    },
  );
}
