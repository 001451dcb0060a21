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

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}
