/** Units a duration may name, in seconds. */
const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * A duration as operators write it, in whole seconds: `90s`, `15m`, `24h`, `30d`, or a bare number of seconds
 * (a JSON number or digits). The one parser for the CLI flags, the admin API bodies and the config file.
 * Undefined when the value is not a duration.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d{1,9})\s*([smhd]?)\s*$/.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * UNITS[m[2] || 's']!;
}

/** How a duration is shown back: the largest unit that divides it. */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) if (seconds > 0 && seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}
