import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { AdminConflictError, AdminNotFoundError, AdminValidationError, assertNoProblems, at, formatProblem, schemaProblems } from '../../src/admin/problems.js';

describe('schemaProblems', () => {
  const S = Type.Object(
    { name: Type.String(), kind: Type.Optional(Type.Union([Type.Literal('a'), Type.Literal('b')])), n: Type.Optional(Type.Integer({ minimum: 1 })), list: Type.Optional(Type.Array(Type.String())) },
    { additionalProperties: false },
  );

  it('reports one problem per path: the most specific one, in plain words for required, unknown and enum fields', () => {
    expect(schemaProblems(S, { kind: 'c', n: 0, list: ['x', 1], colour: 'red' }, '$.items[2]')).toEqual([
      { path: '$.items[2].name', message: 'is required' },
      { path: '$.items[2].colour', message: 'is not a known field' },
      { path: '$.items[2].kind', message: 'must be one of a, b' },
      { path: '$.items[2].n', message: 'Expected integer to be greater or equal to 1' },
      { path: '$.items[2].list[1]', message: 'Expected string' },
    ]);
  });

  it('names fields bare for a lone record, and the record itself as ""', () => {
    expect(schemaProblems(S, { name: 1 }, '')).toEqual([{ path: 'name', message: 'Expected string' }]);
    expect(schemaProblems(S, 'x', '')).toEqual([{ path: '', message: 'Expected object' }]);
    expect(schemaProblems(S, { name: 'ok' }, '$')).toEqual([]);
  });
});

describe('errors', () => {
  it('AdminValidationError lists every problem, under a heading when given', () => {
    const problems = [{ path: '$.a', message: 'is required' }, { path: '', message: 'give x or y, not both' }];
    expect(new AdminValidationError(problems).message).toBe('$.a: is required\ngive x or y, not both');
    expect(new AdminValidationError(problems, 'The document is invalid').message).toBe('The document is invalid:\n  $.a: is required\n  give x or y, not both');
    expect(() => assertNoProblems([])).not.toThrow();
    expect(() => assertNoProblems(problems)).toThrow(AdminValidationError);
  });

  it('each refusal says what kind it is', () => {
    expect(new AdminValidationError([]).kind).toBe('invalid');
    expect(new AdminNotFoundError('no client x').kind).toBe('not_found');
    expect(new AdminConflictError('already revoked').kind).toBe('conflict');
  });

  it('at and formatProblem build and print paths', () => {
    expect(at('', 'scope')).toBe('scope');
    expect(at('$.clients', 3)).toBe('$.clients[3]');
    expect(at('$.clients[3]', 'scope')).toBe('$.clients[3].scope');
    expect(formatProblem({ path: 'scope', message: 'bad' })).toBe('scope: bad');
  });
});
