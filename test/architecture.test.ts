import { describe, expect, it } from 'vitest';
import { cycles, importGraph } from './support/import-graph.js';

/**
 * Dependencies between the parts of src/ (its folders, and the files directly in it) form no cycle: a cycle
 * means two parts can only be understood, tested and changed together (federation imports oauth, never the
 * reverse; http imports oauth; ...). Type-only imports count.
 *
 * KNOWN_BACK_EDGES would list edges that close a cycle main still has, each with the change that removes it;
 * the rule is checked with them taken out, so a new cycle fails. It is empty: 'config.ts -> http' went with the
 * move of the trusted-proxy rules to net/, 'limits -> redis' with the move of the Redis limiters to redis/.
 */
const KNOWN_BACK_EDGES: Record<string, string> = {};

describe('import graph of src/', () => {
  const graph = importGraph('src');

  it('has no cycle between parts besides the known back edges', () => {
    const pruned = new Map([...graph].map(([from, to]) => [from, new Map([...to].filter(([t]) => !(`${from} -> ${t}` in KNOWN_BACK_EDGES)))]));
    expect(cycles(pruned)).toEqual([]);
  });

  it('lists only back edges that still exist', () => {
    const stale = Object.keys(KNOWN_BACK_EDGES).filter((edge) => {
      const [from, to] = edge.split(' -> ') as [string, string];
      return !graph.get(from)?.has(to);
    });
    expect(stale, 'these cycles are gone: delete them from KNOWN_BACK_EDGES').toEqual([]);
  });

  it('keeps oauth free of federation (federation imports oauth, never the reverse)', () => {
    expect(graph.get('oauth')?.get('federation')).toBeUndefined();
  });
});

describe('the cycle rule', () => {
  const g = (edges: string[]) => {
    const m = new Map<string, Map<string, true>>();
    for (const e of edges) {
      const [a, b] = e.split('>') as [string, string];
      if (!m.has(a)) m.set(a, new Map());
      if (!m.has(b)) m.set(b, new Map());
      m.get(a)!.set(b, true);
    }
    return m;
  };

  it('finds a direct and a longer cycle, each once, and nothing in a DAG', () => {
    expect(cycles(g(['a>b', 'b>a']))).toEqual(['a <-> b']);
    expect(cycles(g(['a>b', 'b>c', 'c>a', 'c>d', 'd>e', 'e>d']))).toEqual(['a <-> b <-> c', 'd <-> e']);
    expect(cycles(g(['a>b', 'b>c', 'a>c']))).toEqual([]);
  });

  it('sees the oauth <-> federation cycle of the old layout', () => {
    expect(cycles(g(['oauth>federation', 'federation>oauth', 'http>oauth', 'http>federation']))).toEqual(['federation <-> oauth']);
  });
});
