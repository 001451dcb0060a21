import { registerIdentityProviderPreparer, registerIdentityProviderValidator } from './import-document.js';
import { sealProviderSecrets, validateProviderInput } from '../federation/provider-config.js';

/**
 * Wires the federation module's provider validation and secret sealing into the import document. Imported for
 * its effect by the composition roots (http/server.ts, cli/commands/idps.ts).
 */
registerIdentityProviderValidator((item, path) => validateProviderInput(item, path));
registerIdentityProviderPreparer((name, config, masterKey) => sealProviderSecrets(name, config, masterKey));
