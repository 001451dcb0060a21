import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-tls-config-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
writeFileSync(cert, 'x');
writeFileSync(key, 'x');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(flags: Record<string, string>, env: Record<string, string>): string {
  try {
    loadConfig(flags, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('TLS and mutual-TLS settings', () => {
  it('flags, env and file set tls.*; an https issuer by default when Tessera terminates TLS', () => {
    const c = loadConfig({ tlsCert: cert, tlsKey: key, tlsClientCa: cert }, {});
    expect(c.tls).toEqual({ cert, key, clientCa: cert });
    expect(c.issuer).toBe('https://127.0.0.1:8080');
    const e = loadConfig({}, { TESSERA_TLS_CERT: cert, TESSERA_TLS_KEY: key, TESSERA_MTLS_ALIAS_BASE_URL: 'https://mtls.example', TESSERA_TRUST_PROXY: '10.0.0.1', TESSERA_MTLS_CERTIFICATE_HEADER: 'x-client-cert' });
    expect(e.mtls).toEqual({ aliasBaseUrl: 'https://mtls.example', certificateHeader: 'x-client-cert' });
    expect(loadConfig({ tlsKey: key }, { TESSERA_TLS_CERT: cert }).tls).toEqual({ cert, key });
    expect(loadConfig({}, {}).issuer).toBe('http://127.0.0.1:8080');
  });

  it('refuses combinations that cannot work, naming the setting', () => {
    expect(refusal({ tlsCert: cert }, {})).toMatch(/tls: cert and key go together/);
    expect(refusal({ tlsCert: cert, tlsKey: join(dir, 'missing.pem') }, {})).toMatch(/tls\.key: cannot read .*missing\.pem \(ENOENT\)/);
    expect(refusal({ tlsClientCa: cert }, {})).toMatch(/tls\.clientCa: client certificates reach Tessera only/);
    expect(refusal({}, { TESSERA_MTLS_CERTIFICATE_HEADER: 'x-client-cert' })).toMatch(/mtls\.certificateHeader: .*trustProxy lists none/);
    expect(refusal({}, { TESSERA_MTLS_CERTIFICATE_HEADER: 'Authorization', TESSERA_TRUST_PROXY: '10.0.0.1' })).toMatch(/another meaning/);
    expect(refusal({}, { TESSERA_MTLS_CERTIFICATE_HEADER: 'bad header', TESSERA_TRUST_PROXY: '10.0.0.1' })).toMatch(/mtls\.certificateHeader/);
    expect(refusal({}, { TESSERA_MTLS_ALIAS_BASE_URL: 'https://mtls.example' })).toMatch(/mtls\.aliasBaseUrl: client certificates reach/);
    expect(refusal({ tlsCert: cert, tlsKey: key }, { TESSERA_MTLS_ALIAS_BASE_URL: 'http://mtls.example' })).toMatch(/mtls\.aliasBaseUrl/);
  });
});
