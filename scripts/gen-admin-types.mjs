#!/usr/bin/env node
// Generates packages/client/src/admin-types.generated.ts: TypeScript types of the admin API's JSON, from the
// server's own TypeBox schemas (src/http/admin/*), so @tessera/client's AdminClient cannot drift from the server
// while it still has no dependency on it at run time (the generated file is checked in; admin-types.ts aliases it).
//
// The schemas are TypeScript: esbuild (already a dev dependency, scripts/bundle.mjs) bundles them from src/ into
// one temporary module, packages external, so the types follow the sources, not a possibly stale dist/.
//
//   node scripts/gen-admin-types.mjs           write the generated file
//   node scripts/gen-admin-types.mjs --out F   write it to F instead (the drift test compares the two)
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const GENERATED = path.join(root, 'packages/client/src/admin-types.generated.ts');

/** Public type name -> [module under src/http/admin, exported schema]. Order is the file's order. */
export const TYPES = [
  ['AdminClientCreate', 'schemas', 'ClientCreateBody'],
  ['AdminClientPatchBody', 'schemas', 'ClientPatchBody'],
  ['AdminClientView', 'schemas', 'ClientView'],
  ['AdminClientCreated', 'schemas', 'ClientCreated'],
  ['SecretView', 'schemas', 'SecretView'],
  ['SecretRotated', 'schemas', 'SecretRotated'],
  ['ApiKeyView', 'schemas', 'ApiKeyView'],
  ['ClientSessionsRevoked', 'families', 'ClientSessionsRevoked'],
  ['AdminUserCreateBody', 'user-schemas', 'UserCreateBody'],
  ['AdminUserPatchBody', 'user-schemas', 'UserPatchBody'],
  ['AdminUserView', 'user-schemas', 'UserView'],
  ['AdminUserCreated', 'user-schemas', 'UserCreated'],
  ['AdminUserListQuery', 'user-schemas', 'UserListQuery'],
  ['PasswordSet', 'user-schemas', 'PasswordSet'],
  ['UserSessionsRevoked', 'user-schemas', 'SessionsRevoked'],
  ['FamilyView', 'families', 'FamilyView'],
  ['OrganizationCreate', 'organizations', 'OrganizationCreateBody'],
  ['OrganizationView', 'organizations', 'OrganizationView'],
  ['OrganizationPatch', 'organizations', 'OrganizationPatchBody'],
  ['InstallationCreate', 'organizations', 'InstallationCreateBody'],
  ['InstallationView', 'organizations', 'InstallationView'],
  ['InstallationPatch', 'organizations', 'InstallationPatchBody'],
  ['IdentityProviderBody', 'identity-providers', 'ProviderBody'],
  ['IdentityProviderViewBody', 'identity-providers', 'ProviderView'],
  ['IdentityProviderPatchBody', 'identity-providers', 'ProviderPatchBody'],
  ['SigningKeyView', 'keys', 'KeyView'],
  ['SigningKeyRotateBody', 'keys', 'RotateBody'],
  ['EventView', 'events', 'EventView'],
];

/** Imports the schemas: bundled from src/ by esbuild into a temporary module that node_modules resolves from. */
export async function loadSchemas() {
  const modules = [...new Set(TYPES.map(([, mod]) => mod))];
  const entry = modules.map((mod, i) => `export * as m${i} from './src/http/admin/${mod}.ts';`).join('\n');
  const dir = path.join(root, 'node_modules/.cache/gen-admin-types');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `schemas-${process.pid}-${Date.now()}.mjs`);
  await build({ stdin: { contents: entry, resolveDir: root, loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: file, logLevel: 'error' });
  try {
    const loaded = await import(pathToFileURL(file).href);
    return Object.fromEntries(modules.map((mod, i) => [mod, loaded[`m${i}`]]));
  } finally {
    rmSync(file, { force: true });
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const key = (name) => (IDENTIFIER.test(name) ? name : JSON.stringify(name));
const pad = (depth) => '  '.repeat(depth);

function doc(schema, depth) {
  const described = schema.description ?? schema.allOf?.map((s) => s.description).find(Boolean);
  const notes = [described, schema.format === 'date-time' ? 'RFC 3339 date-time' : undefined].filter(Boolean);
  if (notes.length === 0) return '';
  const text = notes.join('; ').replace(/\*\//g, '*\\/');
  return `${pad(depth)}/** ${text} */\n`;
}

/**
 * One JSON Schema as a TypeScript type: the subset TypeBox emits for these routes (object with properties,
 * required and additionalProperties or patternProperties, string/number/integer/boolean/null, array, anyOf,
 * allOf (Type.Composite), const, enum; a schema without a type is unknown). Anything else throws, so a new construct cannot be
 * generated as something looser unnoticed.
 */
export function toType(schema, depth = 0) {
  if (schema.anyOf) return schema.anyOf.map((s) => wrap(toType(s, depth))).join(' | ');
  // Type.Composite of overlapping properties: both must hold (identical members, e.g. string & string, are one).
  if (schema.allOf) return [...new Set(schema.allOf.map((s) => wrap(toType(s, depth))))].join(' & ');
  if ('const' in schema) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `${wrap(toType(schema.items ?? {}, depth))}[]`;
    case 'object':
      return objectType(schema, depth);
    case undefined:
      if (Object.keys(schema).every((k) => ['description', 'default', 'title'].includes(k))) return 'unknown';
  }
  throw new Error(`gen-admin-types: unsupported schema ${JSON.stringify(schema)}`);
}

const wrap = (type) => (/[|&]/.test(type) && !/^\{[\s\S]*\}$/.test(type) ? `(${type})` : type);

function objectType(schema, depth) {
  const required = new Set(schema.required ?? []);
  const lines = Object.entries(schema.properties ?? {}).map(
    ([name, prop]) => `${doc(prop, depth + 1)}${pad(depth + 1)}${key(name)}${required.has(name) ? '' : '?'}: ${toType(prop, depth + 1)};\n`,
  );
  const patterns = Object.values(schema.patternProperties ?? {});
  if (patterns.length > 1) throw new Error('gen-admin-types: more than one patternProperties');
  if (patterns.length === 1) lines.push(`${pad(depth + 1)}[key: string]: ${toType(patterns[0], depth + 1)};\n`);
  else if (schema.additionalProperties === true) lines.push(`${pad(depth + 1)}[key: string]: unknown;\n`);
  else if (typeof schema.additionalProperties === 'object') lines.push(`${pad(depth + 1)}[key: string]: ${toType(schema.additionalProperties, depth + 1)};\n`);
  if (lines.length === 0) return schema.additionalProperties === false ? 'Record<string, never>' : 'Record<string, unknown>';
  return `{\n${lines.join('')}${pad(depth)}}`;
}

/** The whole generated file. */
export function render(schemas) {
  const out = [
    '// GENERATED by scripts/gen-admin-types.mjs from the TypeBox schemas of src/http/admin/*: do not edit.',
    '// Run `npm run gen:admin-types` after changing a schema (test/scripts/gen-admin-types.test.ts checks it).',
    '',
  ];
  for (const [name, mod, exported] of TYPES) {
    const schema = schemas[mod]?.[exported];
    if (!schema) throw new Error(`gen-admin-types: src/http/admin/${mod}.ts exports no ${exported}`);
    const type = toType(schema);
    out.push(`/** src/http/admin/${mod}.ts ${exported}${schema.description ? `: ${schema.description.replace(/\*\//g, '*\\/')}` : ''} */`);
    out.push(schema.type === 'object' && type.startsWith('{\n') ? `export interface ${name} ${type}` : `export type ${name} = ${type};`);
    out.push('');
  }
  return out.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const target = at > 0 ? path.resolve(process.argv[at + 1]) : GENERATED;
  writeFileSync(target, render(await loadSchemas()));
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
