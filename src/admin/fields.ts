import { Type, type TObject, type TOptional, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * How a field is given on the command line. The CLI turns the flag's text into the field's value by `kind`;
 * the value is then validated like any other input (the same schema and rules as the import document).
 */
export interface FlagSpec {
  /** commander syntax: '--ttl <seconds>', '--introspect-any'. */
  flag: string;
  help: string;
  kind: 'text' | 'integer' | 'repeatable' | 'repeatable-csv' | 'switch' | 'points-per-seconds' | 'json-object';
  /** The field's value when a switch is given (default true), e.g. --disabled sets status "disabled". */
  value?: unknown;
  /** The field's value when the switch is negated (`--no-...`; default false), e.g. --no-disabled sets "active". */
  offValue?: unknown;
  /** Only when creating a record (its id, a chosen secret). */
  createOnly?: boolean;
  /** The command refuses to run without it. */
  mandatory?: true;
}

/** One field of an aggregate as operators write it (wire name = the key in the table). */
export interface Field<S extends TSchema = TSchema> {
  schema: S;
  /** Required in the import document (a declarative document states every record whole). */
  required?: true;
  /** Used when a record is created without the field (CLI, admin API). */
  initial?: unknown;
  flag?: FlagSpec;
}

type DocumentProps<F extends Record<string, Field>> = { [K in keyof F]: F[K] extends { required: true } ? F[K]['schema'] : TOptional<F[K]['schema']> };

/** The TypeBox schema of one record of the table (unknown fields refused). */
export function recordSchema<F extends Record<string, Field>>(fields: F): TObject<DocumentProps<F>> {
  const props: Record<string, TSchema> = {};
  for (const [name, f] of Object.entries(fields)) props[name] = f.required ? f.schema : Type.Optional(f.schema);
  return Type.Object(props, { additionalProperties: false }) as TObject<DocumentProps<F>>;
}

/** The record with each absent field that has an initial value set to it. */
export function withInitialValues<T extends object>(fields: Record<string, Field>, input: T): T {
  const out = { ...input } as Record<string, unknown>;
  for (const [name, f] of Object.entries(fields)) if (out[name] === undefined && f.initial !== undefined) out[name] = structuredClone(f.initial);
  return out as T;
}

/**
 * The fields of a possibly invalid record that match their schema (`view`), and the names of those that do not
 * or are missing though required (`broken`). Semantic rules read the view and skip a rule whose fields are
 * broken: the schema problem is already reported, so one mistake is reported once, not once per rule it trips.
 */
export function wellTyped<T>(fields: Record<string, Field>, item: unknown): { view: Partial<T>; broken: ReadonlySet<string> } {
  const view: Record<string, unknown> = {};
  const broken = new Set<string>();
  const record = typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as Record<string, unknown>) : undefined;
  for (const [name, f] of Object.entries(fields)) {
    const v = record?.[name];
    if (v === undefined) {
      if (f.required || !record) broken.add(name);
    } else if (Value.Check(f.schema, v)) view[name] = v;
    else broken.add(name);
  }
  return { view: view as Partial<T>, broken };
}
