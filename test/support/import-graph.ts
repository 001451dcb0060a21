import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/**
 * The import graph of src/ between its top-level parts: each folder under src/ is one part, and each file
 * directly in src/ (config.ts, endpoints.ts, ...) is a part of its own. Type-only imports count: a cycle in the
 * types is a cycle in the design even if the bundle erases it.
 */
export type PartGraph = Map<string, Map<string, string[]>>;

const STATIC = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/g;
const DYNAMIC = /import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

function partOf(root: string, file: string): string {
  const parts = relative(root, file).split(sep);
  return parts.length > 1 ? parts[0]! : parts[0]!;
}

/** part -> (imported part -> the file-level edges that make it). */
export function importGraph(root: string): PartGraph {
  const graph: PartGraph = new Map();
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, 'utf8');
    const from = partOf(root, file);
    if (!graph.has(from)) graph.set(from, new Map());
    for (const m of [...text.matchAll(STATIC), ...text.matchAll(DYNAMIC)]) {
      let target = normalize(join(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
      if (!existsSync(target)) target = join(target.replace(/\.ts$/, ''), 'index.ts');
      const to = partOf(root, target);
      if (to === from) continue;
      const edges = graph.get(from)!;
      edges.set(to, [...(edges.get(to) ?? []), `${relative(root, file)} -> ${relative(root, target)}`]);
    }
  }
  return graph;
}

/** The strongly connected components with more than one part (Tarjan), each sorted, as "a <-> b <-> c". */
export function cycles(graph: ReadonlyMap<string, ReadonlyMap<string, unknown>>): string[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort().join(' <-> '));
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found.sort();
}
