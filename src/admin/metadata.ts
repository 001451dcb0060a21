import { Type } from '@sinclair/typebox';
import type { Problem } from './problems.js';

/**
 * The bounded `metadata` JSON object operators attach to a record (docs/tokens.md "Custom claims"): claim
 * templates reference it, so it rides in every cached client record and, through templates, in tokens. The
 * bounds keep one record from making every token (and every node's cache) large.
 */
export const METADATA_LIMITS = { maxBytes: 4096, maxDepth: 4, maxKeys: 64 } as const;

/** Any JSON object; the bounds are rules (metadataProblems), so the message names the bound. */
export const MetadataSchema = Type.Object({}, { additionalProperties: true });

/** Depth (an object of scalars is 1) and the number of keys, across every nested object. */
function measure(value: unknown, depth: number): { depth: number; keys: number } {
  if (value === null || typeof value !== 'object') return { depth: depth - 1, keys: 0 };
  let deepest = depth;
  let keys = 0;
  const children = Array.isArray(value) ? value : Object.values(value as object);
  if (!Array.isArray(value)) keys += children.length;
  for (const child of children) {
    const m = measure(child, depth + 1);
    deepest = Math.max(deepest, m.depth);
    keys += m.keys;
  }
  return { depth: deepest, keys };
}

/** The problems of a metadata object at `path` (an object already: the schema checked that). */
export function metadataProblems(value: Record<string, unknown>, path: string): Problem[] {
  const out: Problem[] = [];
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > METADATA_LIMITS.maxBytes) out.push({ path, message: `must be at most ${METADATA_LIMITS.maxBytes} bytes as JSON (is ${bytes})` });
  const m = measure(value, 1);
  if (m.depth > METADATA_LIMITS.maxDepth) out.push({ path, message: `must be nested at most ${METADATA_LIMITS.maxDepth} levels deep` });
  if (m.keys > METADATA_LIMITS.maxKeys) out.push({ path, message: `must have at most ${METADATA_LIMITS.maxKeys} keys in all (has ${m.keys})` });
  return out;
}
