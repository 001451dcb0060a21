import { describe, expect, it } from 'vitest';
import { describeUser, passwordProblems, USER_FIELDS, UserRecordSchema, userProblems, userSettings } from '../../src/admin/user-fields.js';
import { formatProblem } from '../../src/admin/problems.js';

const problems = (item: unknown) => userProblems(item, '$.users[0]').map(formatProblem);

describe('the user field table', () => {
  it('feeds the import schema: username required, unknown fields refused', () => {
    expect(Object.keys(UserRecordSchema.properties)).toEqual(Object.keys(USER_FIELDS));
    expect(problems({})).toEqual(['$.users[0].username: is required']);
    expect(problems({ username: 'a', colour: 'red' })).toEqual(['$.users[0].colour: is not a known field']);
  });

  it('rules: the CLI minimum password length (in characters, not UTF-16 units), usernames, e-mail, scope, hashes', () => {
    expect(passwordProblems('😀😀😀😀😀😀😀', 'password')).toHaveLength(1);
    expect(passwordProblems('😀😀😀😀😀😀😀😀', 'password')).toEqual([]);
    expect(problems({ username: 'ada', password: 'seven77' })).toEqual(['$.users[0].password: must be at least 8 characters']);
    expect(problems({ username: 'a\u0007b' })).toEqual(['$.users[0].username: must be 1-255 characters, without control characters or surrounding spaces']);
    expect(problems({ username: 'ada', email: 'ada' })).toEqual(['$.users[0].email: is not an e-mail address']);
    expect(problems({ username: 'ada', scope: 'read "x"' })).toEqual(['$.users[0].scope: ""x"" is not a valid scope token (RFC 6749 §3.3)']);
    expect(problems({ username: 'ada', password: 'long enough', password_hash: 'x' })).toEqual(['$.users[0]: give password or password_hash, not both', '$.users[0].password_hash: must be an argon2 PHC string']);
  });

  it('userSettings: absent scope = no user-level restriction, "" = nothing', () => {
    expect(userSettings({ username: 'ada' })).toEqual({ username: 'ada', status: 'active', scope: null, email: null, emailVerified: false, metadata: null });
    expect(userSettings({ username: 'ada', scope: '' }).scope).toEqual([]);
    expect(userSettings({ username: 'ada', scope: 'read read write', status: 'disabled' })).toMatchObject({ scope: ['read', 'write'], status: 'disabled' });
  });

  it('describeUser never shows the password hash', () => {
    const shown = describeUser({ id: 'u', username: 'ada', passwordHash: '$argon2id$x', status: 'active', scope: null, email: null, emailVerified: false, createdAt: 0, updatedAt: 0, version: 1 });
    expect(shown).toMatchObject({ id: 'u', has_password: true, scope: null });
    expect(JSON.stringify(shown)).not.toContain('argon2');
  });

  it('metadata: a bounded JSON object, shown when set', () => {
    expect(problems({ username: 'ada', metadata: { roles: ['admin'] } })).toEqual([]);
    expect(problems({ username: 'ada', metadata: ['admin'] })).toEqual([expect.stringMatching(/^\$\.users\[0\]\.metadata: /)]);
    expect(problems({ username: 'ada', metadata: { big: 'x'.repeat(5000) } })).toEqual([expect.stringMatching(/^\$\.users\[0\]\.metadata: must be at most 4096 bytes/)]);
    expect(userSettings({ username: 'ada', metadata: { roles: ['admin'] } }).metadata).toEqual({ roles: ['admin'] });
  });
});

