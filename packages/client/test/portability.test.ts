import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { metadataUrl } from '../src/index.js';

const SRC = join(import.meta.dirname, '../src');
const sources = readdirSync(SRC)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: f, text: readFileSync(join(SRC, f), 'utf8') }));

describe('runs in browsers and Node 20+', () => {
  it('the runtime code imports nothing but jose and its own modules', () => {
    expect(sources.length).toBeGreaterThan(5);
    for (const { file, text } of sources) {
      for (const m of text.matchAll(/\bfrom '([^']+)'/g)) expect([file, m[1]!.startsWith('./') || m[1] === 'jose']).toEqual([file, true]);
      expect([file, /import\(/.test(text)]).toEqual([file, false]);
    }
  });

  it('uses no Node-only globals', () => {
    for (const { file, text } of sources) {
      const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect([file, code.match(/\b(Buffer|process|require|__dirname|setImmediate)\b/)?.[0]]).toEqual([file, undefined]);
    }
  });
});

describe('metadataUrl (RFC 8414 §3.1)', () => {
  it('inserts the well-known suffix between host and path', () => {
    expect(metadataUrl('https://as.example')).toBe('https://as.example/.well-known/oauth-authorization-server');
    expect(metadataUrl('https://as.example/tenant/a')).toBe('https://as.example/.well-known/oauth-authorization-server/tenant/a');
    expect(metadataUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080/.well-known/oauth-authorization-server');
  });
});
