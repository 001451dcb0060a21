import { describe, expect, it } from 'vitest';
import { scopeProblems, splitScope } from '../../src/admin/scope.js';

describe('splitScope', () => {
  it('splits on any run of whitespace, drops repeats, keeps the first order', () => {
    expect(splitScope('  read   write\tread ')).toEqual(['read', 'write']);
    expect(splitScope('')).toEqual([]);
    expect(splitScope('   ')).toEqual([]);
  });
});

describe('scopeProblems', () => {
  it('names each token outside the RFC 6749 §3.3 grammar', () => {
    expect(scopeProblems('read "quoted" a\\b', '$.users[0].scope')).toEqual([
      { path: '$.users[0].scope', message: '""quoted"" is not a valid scope token (RFC 6749 §3.3)' },
      { path: '$.users[0].scope', message: '"a\\b" is not a valid scope token (RFC 6749 §3.3)' },
    ]);
    expect(scopeProblems('wallet:read offline_access', 'scope')).toEqual([]);
  });
});
