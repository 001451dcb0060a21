import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sealClientSecret, unsealClientSecret } from '../../src/keys/client-secret.js';

describe('client_secret_jwt secrets at rest', () => {
  it('round-trips under the master key, bound to the client id', () => {
    const key = randomBytes(32);
    const sealed = sealClientSecret(key, 'svc', 'a secret');
    expect(sealed).not.toContain('a secret');
    expect(unsealClientSecret(key, 'svc', sealed).toString('utf8')).toBe('a secret');
    expect(() => unsealClientSecret(key, 'other', sealed)).toThrow();
    expect(() => unsealClientSecret(randomBytes(32), 'svc', sealed)).toThrow();
  });
});
