import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, resolveLogFormat } from '../../src/http/logger.js';
import { loadConfig } from '../../src/config.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return { stream: new Writable({ write: (c: Buffer, _e, done) => (chunks.push(c.toString()), done()) }), text: () => chunks.join('') };
}

describe('log format', () => {
  it('auto is pretty on a terminal and JSON otherwise; pretty and json are taken as said', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('is set by flag, TESSERA_LOG_FORMAT or the file (auto by default), and a bad value is a clear error', () => {
    expect(loadConfig({}, {}).logFormat).toBe('auto');
    expect(loadConfig({}, { TESSERA_LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(loadConfig({ logFormat: 'pretty' }, { TESSERA_LOG_FORMAT: 'json' }).logFormat).toBe('pretty');
    expect(() => loadConfig({}, { TESSERA_LOG_FORMAT: 'xml' })).toThrow(/invalid setting logFormat/);
  });

  it('json: one object a line with an ISO time; pretty: a human line; both redact credentials', async () => {
    const j = sink();
    const json = await createLogger('info', 'json', j.stream);
    json.info({ client_id: 'svc', password: 'pw-SECRET-1', details: { token: 'tok-SECRET-2' } }, 'hello');
    const rec = JSON.parse(j.text().trim()) as Record<string, unknown>;
    expect(rec).toMatchObject({ msg: 'hello', client_id: 'svc', password: '[redacted]', details: { token: '[redacted]' } });
    expect(rec.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const p = sink();
    const pretty = await createLogger('info', 'pretty', p.stream);
    pretty.warn({ client_id: 'svc', password: 'pw-SECRET-1', details: { token: 'tok-SECRET-2' } }, 'hello there');
    const text = p.text();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: hello there\n/);
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toContain('client_id: "svc"');
    expect(text).not.toContain('pw-SECRET-1');
    expect(text).not.toContain('tok-SECRET-2');
    expect(text.includes(String.fromCharCode(27))).toBe(false); // no colour codes unless asked (a terminal)
  });
});
