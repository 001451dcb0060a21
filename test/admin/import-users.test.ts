import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyImportDocument } from '../../src/admin/import-apply.js';
import { validateImportDocument } from '../../src/admin/import-document.js';
import { AdminValidationError, formatProblem } from '../../src/admin/problems.js';
import { hashSecret, verifySecret } from '../../src/crypto/password-hash.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/types.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-import-users-'));
const masterKey = randomBytes(32);
const defaults = { accessTokenTtl: 3600 };
let store: Store;

beforeAll(async () => {
  store = await openSqliteStore(join(dir, 'tessera.db'));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('users in the import document', () => {
  it('creates users from a plain password (hashed) or a pre-computed argon2 hash, with status and scope', async () => {
    const imported = await hashSecret('from another system');
    const summary = await applyImportDocument(store, {
      users: [
        { id: 'u-1', username: 'Ada', password: 'plain password', scope: 'read write', email: 'ada@example.com', email_verified: true },
        { username: 'legacy', password_hash: imported, status: 'disabled' },
        { username: 'unrestricted' },
      ],
    }, { masterKey, defaults });
    expect(summary.users).toEqual({ created: 3, updated: 0 });
    const ada = (await store.users.getByUsername('ADA'))!;
    expect(ada).toMatchObject({ id: 'u-1', username: 'Ada', status: 'active', scope: ['read', 'write'], email: 'ada@example.com', emailVerified: true });
    expect(ada.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifySecret(ada.passwordHash!, 'plain password')).toBe(true);
    expect(await store.users.getByUsername('legacy')).toMatchObject({ status: 'disabled', passwordHash: imported });
    expect(await store.users.getByUsername('unrestricted')).toMatchObject({ scope: null, passwordHash: null });
  });

  it('is idempotent: the same document again changes nothing (the password is not re-hashed)', async () => {
    const before = (await store.users.get('u-1'))!.passwordHash;
    const summary = await applyImportDocument(store, { users: [{ id: 'u-1', username: 'Ada', password: 'plain password', scope: 'read write', email: 'ada@example.com', email_verified: true }] }, { masterKey, defaults });
    expect(summary.users).toEqual({ created: 0, updated: 0 });
    expect((await store.users.get('u-1'))!.passwordHash).toBe(before);
  });

  it('updates a changed password and scope', async () => {
    const summary = await applyImportDocument(store, { users: [{ id: 'u-1', username: 'Ada', password: 'new password!', scope: 'read' }] }, { masterKey, defaults });
    expect(summary.users).toEqual({ created: 0, updated: 1 });
    const ada = (await store.users.get('u-1'))!;
    expect(await verifySecret(ada.passwordHash!, 'new password!')).toBe(true);
    expect(ada.scope).toEqual(['read']);
  });

  it.each([
    [{ users: [{ username: 'a', password: 'x', password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g' }] }, /password or password_hash, not both/],
    [{ users: [{ username: 'a', password_hash: '$2b$10$abcdefghijklmnopqrstuv' }] }, /must be an argon2 PHC string/],
    [{ users: [{ username: 'Same' }, { username: 'sAME' }] }, /duplicate "sAME" \(usernames are case-insensitive\)/],
    [{ users: [{ username: 'a', scope: 'read "quoted"' }] }, /users\[0\]\.scope: ""quoted"" is not a valid scope token/],
    [{ users: [{ username: '' }] }, /users\[0\]\.username/],
  ])('rejects an invalid document whole (%#)', async (doc, message) => {
    const problems = validateImportDocument(doc).map(formatProblem);
    expect(problems.join('\n')).toMatch(message);
    await expect(applyImportDocument(store, doc, { masterKey, defaults })).rejects.toBeInstanceOf(AdminValidationError);
  });
});
