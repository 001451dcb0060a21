import { describe, expect, it } from 'vitest';
import { apiKeyConflicts, duplicates, installationProblems, str } from '../../src/admin/import-references.js';

const KEY = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const facts = { existingClients: new Set<string>(), providers: new Set<string>(), apiKeyOwners: new Map([[KEY, 'stored']]) };

describe('references between the records of an import document', () => {
  it('duplicates: every repeat after the first, malformed records skipped', () => {
    expect(duplicates([{ id: 'a' }, { id: 1 }, null, { id: 'a' }], 'organizations', 'id', str('id'), () => 'dup')).toEqual([{ path: '$.organizations[3].id', message: 'dup' }]);
  });

  it('API keys: one owner across the document and the store', () => {
    expect(apiKeyConflicts([{ client_id: 'stored', api_keys: [KEY] }], facts)).toEqual([]);
    expect(apiKeyConflicts([{ client_id: 'x', api_keys: ['not a key', KEY] }], facts)).toEqual([{ path: '$.clients[0].api_keys[1]', message: 'already belongs to client stored' }]);
  });

  it('installations: organisation and client of the document, scopes the client holds, once per pair', () => {
    const clients = [{ client_id: 'app', scope: 'read' }];
    expect(installationProblems([{ org_id: 'o', client_id: 'app', scope: 'read' }], new Set(['o']), clients)).toEqual([]);
    expect(installationProblems([{ org_id: 'x', client_id: 'ghost', scope: 'bad"' }], new Set(['o']), clients).map((p) => p.path)).toEqual([
      '$.installations[0].org_id',
      '$.installations[0].client_id',
      '$.installations[0].scope',
    ]);
    expect(installationProblems([{ org_id: 'o', client_id: 'app' }], new Set(['o']), clients)).toEqual([{ path: '$.installations[0].scope', message: 'is required' }]);
  });
});
