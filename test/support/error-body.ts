import { expect } from 'vitest';

/** RFC 6749 §5.2: the characters `error` and `error_description` may hold (%x20-21 / %x23-5B / %x5D-7E). */
const DESCRIPTION_SET = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;
const ERROR_SET = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Asserts that an answer's body, if it is an error in the §5.2 shape, keeps to §5.2's character sets. Bodies of
 * other shapes (tokens, introspection, a profile's own refusal shape) pass untouched.
 */
export function expectErrorCharset(body: unknown, context = ''): void {
  if (body === null || typeof body !== 'object') return;
  const { error, error_description: description } = body as { error?: unknown; error_description?: unknown };
  if (typeof error === 'string') expect(error, `error outside RFC 6749 §5.2 ${context}`).toMatch(ERROR_SET);
  if (description !== undefined) {
    expect(typeof description, `error_description is not a string ${context}`).toBe('string');
    expect(description as string, `error_description outside RFC 6749 §5.2 ${context}`).toMatch(DESCRIPTION_SET);
  }
}
