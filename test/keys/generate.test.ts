import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigningKey, SIGNING_ALGS } from '../../src/keys/generate.js';
import { unseal } from '../../src/keys/seal.js';

const master = randomBytes(32);

describe('generateSigningKey', () => {
  for (const alg of SIGNING_ALGS) {
    it(`${alg}: RFC 7638 thumbprint kid, public JWK only, private part sealed`, async () => {
      const k = await generateSigningKey(alg, master);
      expect(k.alg).toBe(alg);
      expect(k.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(k.publicJwk).toMatchObject({ kid: k.kid, alg, use: 'sig' });
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k.publicJwk).not.toHaveProperty(priv);
      expect(unseal(master, k.privateKeyEncrypted, `signing-key:${k.kid}`).length).toBeGreaterThan(0);
      expect(() => unseal(randomBytes(32), k.privateKeyEncrypted, `signing-key:${k.kid}`)).toThrow();
    });
  }
});
