import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { recordSchema, wellTyped, withInitialValues, type Field } from '../../src/admin/fields.js';
import { schemaProblems } from '../../src/admin/problems.js';

const FIELDS = {
  id: { schema: Type.String({ minLength: 1 }), required: true },
  tags: { schema: Type.Array(Type.String()), required: true, initial: ['default'] },
  size: { schema: Type.Integer() },
} satisfies Record<string, Field>;

describe('the field table', () => {
  it('recordSchema: required fields required, the rest optional, unknown fields refused', () => {
    const S = recordSchema(FIELDS);
    expect(schemaProblems(S, { id: 'x', tags: [] }, '')).toEqual([]);
    expect(schemaProblems(S, { tags: [], size: 1, other: 1 }, '').map((p) => p.path)).toEqual(['id', 'other']);
  });

  it('withInitialValues fills absent fields that have an initial value (a copy, not the table\'s own)', () => {
    const filled = withInitialValues(FIELDS, { id: 'x' } as { id: string; tags?: string[] });
    expect(filled).toEqual({ id: 'x', tags: ['default'] });
    filled.tags!.push('mutated');
    expect(FIELDS.tags.initial).toEqual(['default']);
    expect(withInitialValues(FIELDS, { id: 'x', tags: ['mine'] })).toEqual({ id: 'x', tags: ['mine'] });
  });

  it('wellTyped: the fields that match their schema, and those that do not or are missing though required', () => {
    const { view, broken } = wellTyped<{ id: string; tags: string[]; size: number }>(FIELDS, { id: 'x', size: 'big' });
    expect(view).toEqual({ id: 'x' });
    expect([...broken].sort()).toEqual(['size', 'tags']);
    expect([...wellTyped(FIELDS, null).broken].sort()).toEqual(['id', 'size', 'tags']);
  });
});
