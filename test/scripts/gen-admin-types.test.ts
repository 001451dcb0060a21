import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { afterAll, describe, expect, it } from 'vitest';
import { GENERATED, loadSchemas, render, toType, TYPES } from '../../scripts/gen-admin-types.mjs';
import { ClientView } from '../../src/http/admin/schemas.js';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/gen-admin-types.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'gen-admin-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gen-admin-types: @tessera/client admin types from the server schemas', () => {
  it('the checked-in admin-types.generated.ts is what the schemas generate (else: run npm run gen:admin-types)', () => {
    const out = path.join(dir, 'admin-types.generated.ts');
    execFileSync(process.execPath, [SCRIPT, '--out', out], { stdio: 'pipe' });
    const fresh = readFileSync(out, 'utf8');
    const checkedIn = readFileSync(GENERATED, 'utf8');
    expect(checkedIn === fresh, 'packages/client/src/admin-types.generated.ts is stale: run npm run gen:admin-types').toBe(true);
  });

  it('bundles the TypeBox schemas from src/ (not a stale dist/): the ones the routes use', async () => {
    const schemas = await loadSchemas();
    expect(JSON.stringify(schemas['schemas']?.['ClientView'])).toBe(JSON.stringify(ClientView));
    for (const [, mod, exported] of TYPES) expect(schemas[mod]?.[exported], `${mod}.ts ${exported}`).toBeDefined();
  });

  it('a change of a schema changes the generated file', async () => {
    const schemas = await loadSchemas();
    const before = render(schemas);
    const changed = { ...schemas, keys: { ...schemas['keys'], KeyView: Type.Object({ kid: Type.String(), brand_new: Type.Optional(Type.Boolean()) }) } };
    const after = render(changed);
    expect(after).not.toBe(before);
    expect(after).toContain('export interface SigningKeyView {\n  kid: string;\n  brand_new?: boolean;\n}');
  });

  it('a schema the generator was told about but the module no longer exports is an error, not a silent gap', async () => {
    const schemas = await loadSchemas();
    expect(() => render({ ...schemas, keys: {} })).toThrow(/keys\.ts exports no KeyView/);
  });

  it('converts the subset TypeBox emits', () => {
    expect(toType(Type.String())).toBe('string');
    expect(toType(Type.Integer())).toBe('number');
    expect(toType(Type.Number())).toBe('number');
    expect(toType(Type.Boolean())).toBe('boolean');
    expect(toType(Type.Null())).toBe('null');
    expect(toType(Type.Unknown())).toBe('unknown');
    expect(toType(Type.Literal('a'))).toBe('"a"');
    expect(toType(Type.Literal(3))).toBe('3');
    expect(toType(Type.Union([Type.Literal('a'), Type.Literal('b')]))).toBe('"a" | "b"');
    expect(toType({ enum: ['x', 'y'] })).toBe('"x" | "y"');
    expect(toType(Type.Array(Type.Union([Type.String(), Type.Null()])))).toBe('(string | null)[]');
    expect(toType(Type.Union([Type.Union([Type.Literal('a'), Type.Literal('b')]), Type.Null()]))).toBe('("a" | "b") | null');
    expect(toType(Type.Object({ a: Type.String(), 'b-c': Type.Optional(Type.Integer({ description: 'a count' })) }, { additionalProperties: false }))).toBe(
      '{\n  a: string;\n  /** a count */\n  "b-c"?: number;\n}',
    );
    expect(toType(Type.Object({}, { additionalProperties: true }))).toBe('{\n  [key: string]: unknown;\n}');
    expect(toType(Type.Object({}, { additionalProperties: false }))).toBe('Record<string, never>');
    expect(toType(Type.Record(Type.String(), Type.Integer()))).toBe('{\n  [key: string]: number;\n}');
    expect(toType(Type.Object({ at: Type.String({ format: 'date-time' }) }))).toBe('{\n  /** RFC 3339 date-time */\n  at: string;\n}');
  });

  it('refuses a construct it does not know rather than typing it loosely', () => {
    expect(() => toType(Type.Not(Type.String()))).toThrow(/unsupported schema/);
    expect(() => toType({ type: 'object', patternProperties: { '^a': { type: 'string' }, '^b': { type: 'number' } } })).toThrow(/patternProperties/);
  });
});
