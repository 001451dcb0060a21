import { Option, type Command } from 'commander';
import type { Field, FlagSpec } from '../admin/fields.js';
import { collect } from './context.js';
import { CliError } from './output.js';

/**
 * Command-line flags from an aggregate's field table (src/admin): a field with a flag gets it on the commands
 * that set it, and the flag's text becomes the field's value here. Whether the value is acceptable is the admin
 * service's question, answered with the same messages as the import document.
 */
type Mode = 'create' | 'update';

function flagsOf(fields: Record<string, Field>, mode: Mode): Array<[string, FlagSpec]> {
  return Object.entries(fields).flatMap(([name, f]) => (f.flag && (mode === 'create' || !f.flag.createOnly) ? [[name, f.flag] as [string, FlagSpec]] : []));
}

export function addFieldFlags(cmd: Command, fields: Record<string, Field>, mode: Mode): Command {
  for (const [, spec] of flagsOf(fields, mode)) {
    const opt = new Option(spec.flag, spec.help);
    if (spec.kind === 'repeatable' || spec.kind === 'repeatable-csv' || spec.kind === 'json-object') opt.argParser(collect);
    if (spec.mandatory) opt.makeOptionMandatory();
    cmd.addOption(opt);
  }
  return cmd;
}

/** The fields the command line gave, as the admin service takes them (wire names, typed values). */
export function inputFromFlags<T>(fields: Record<string, Field>, mode: Mode, flags: object): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of flagsOf(fields, mode)) {
    const raw = (flags as Record<string, unknown>)[new Option(spec.flag).attributeName()];
    if (raw !== undefined) out[name] = valueOf(spec, raw);
  }
  return out as Partial<T>;
}

function valueOf(spec: FlagSpec, raw: unknown): unknown {
  const flag = spec.flag.split(' ')[0]!;
  switch (spec.kind) {
    case 'integer':
      if (!/^\d+$/.test(raw as string)) throw new CliError(`${flag} must be a non-negative integer`, 2);
      return Number(raw);
    case 'repeatable-csv':
      return (raw as string[]).flatMap((v) => v.split(',')).filter(Boolean);
    case 'switch':
      // --x gives true, its negation --no-x (src/cli/negatable.ts) false.
      return raw === false ? (spec.offValue ?? false) : (spec.value ?? true);
    case 'points-per-seconds': {
      const m = /^(\d+)\/(\d+)$/.exec(raw as string);
      if (!m) throw new CliError(`${flag} must be POINTS/SECONDS, e.g. 100/60`, 2);
      return { points: Number(m[1]), duration: Number(m[2]) };
    }
    case 'json-object':
      return jsonObjectOf(flag, raw as string[]);
    default:
      return raw;
  }
}

/**
 * A JSON object from repeated flags: each is either a whole JSON object (`--metadata '{"plan":"gold"}'`) or one
 * `key=value` pair whose value is JSON when it parses as JSON, text otherwise (`--metadata plan=gold`,
 * `--metadata seats=5`). Later flags win. Whether the object is acceptable is the admin rules' question.
 */
function jsonObjectOf(flag: string, values: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of values) {
    if (v.trimStart().startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch {
        throw new CliError(`${flag} is not valid JSON`, 2);
      }
      Object.assign(out, parsed);
      continue;
    }
    const eq = v.indexOf('=');
    if (eq <= 0) throw new CliError(`${flag} must be a JSON object or key=value`, 2);
    const text = v.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    out[v.slice(0, eq)] = value;
  }
  return out;
}
