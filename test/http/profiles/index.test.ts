import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { enabledProfiles } from '../../../src/http/profiles/index.js';

const config = (profiles: string) => loadConfig({ dataDir: '/tmp/unused' }, { TESSERA_PROFILES: profiles });

describe('profile configuration', () => {
  it('reads prefixes from TESSERA_PROFILES, "" meaning the root', () => {
    expect(enabledProfiles(config('cobo=/v2,knetik,smscx=/smscx'))).toEqual([
      { name: 'cobo', prefix: '/v2' },
      { name: 'knetik', prefix: '' },
      { name: 'smscx', prefix: '/smscx' },
    ]);
    expect(enabledProfiles(config('cobo=/'))).toEqual([{ name: 'cobo', prefix: '' }]);
  });

  it('refuses smscx at the root, where it would change the RFC endpoint', () => {
    expect(() => enabledProfiles(config('smscx'))).toThrow(ConfigError);
  });

  it('refuses two profiles on one prefix', () => {
    expect(() => enabledProfiles(config('cobo=/api,smscx=/api'))).toThrow(/share the prefix/);
  });
});
