/** CLI output: JSON for scripts (--json), aligned text for people. */
export function print(value: unknown, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) print(v, false);
    return;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    const width = Math.max(...entries.map(([k]) => k.length));
    for (const [k, v] of entries) process.stdout.write(`${k.padEnd(width)}  ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
    process.stdout.write('\n');
    return;
  }
  process.stdout.write(String(value) + '\n');
}

/**
 * A list for people: a header row, then one tab-separated row per item (so `cut -f` still works after the
 * header), or one clear line when there is nothing to list. Scripts should use --json, which prints [] instead.
 */
export function printTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, empty: string): void {
  if (rows.length === 0) {
    process.stdout.write(`${empty}\n`);
    return;
  }
  process.stdout.write([header, ...rows].map((r) => r.join('\t')).join('\n') + '\n');
}

/** What went wrong, as `--json` reports it on stderr (docs/cli.md, "Errors and exit codes"). */
export type CliErrorKind = 'usage' | 'config' | 'invalid' | 'not_found' | 'conflict' | 'failed';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly kind: CliErrorKind = exitCode === 2 ? 'usage' : 'failed',
    readonly problems?: ReadonlyArray<{ path: string; message: string }>,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
