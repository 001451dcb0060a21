import { Option, type Command } from 'commander';

/**
 * Every boolean flag also has its `--no-` form, so a script can state "off" explicitly (`--no-introspect-any` on
 * `client update` turns the permission off; `--no-json` undoes a --json added by a wrapper). Applied once, to the
 * whole command tree, so a flag added later gets its negation without anyone remembering to add it. Commander
 * then leaves the value undefined when neither form is given, true for --x and false for --no-x.
 */
export function addNegations(cmd: Command): void {
  const names = new Set(cmd.options.map((o) => o.long));
  for (const opt of [...cmd.options]) {
    if (opt.required || opt.optional || opt.negate || opt.variadic || !opt.long || opt.long === '--help' || opt.long === '--version') continue;
    const negation = `--no-${opt.long.slice(2)}`;
    if (names.has(negation)) continue;
    cmd.addOption(new Option(negation, `turn ${opt.long} off`));
    names.add(negation);
  }
  for (const sub of cmd.commands) addNegations(sub);
}
