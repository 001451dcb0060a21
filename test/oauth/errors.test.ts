import { describe, expect, it } from 'vitest';
import { OAuthError, safeDescription } from '../../src/oauth/errors.js';
import { expectErrorCharset } from '../support/error-body.js';

describe('OAuthError', () => {
  it('factories carry the RFC 6749 §5.2 code and status', () => {
    const cases: Array<[OAuthError, string, number]> = [
      [OAuthError.invalidRequest('x'), 'invalid_request', 400],
      [OAuthError.invalidClient(), 'invalid_client', 401],
      [OAuthError.invalidGrant('x'), 'invalid_grant', 400],
      [OAuthError.unauthorizedClient('x'), 'unauthorized_client', 400],
      [OAuthError.unsupportedGrantType('x'), 'unsupported_grant_type', 400],
      [OAuthError.invalidScope('x'), 'invalid_scope', 400],
      [OAuthError.invalidTarget('x'), 'invalid_target', 400],
      [OAuthError.unsupportedTokenType('x'), 'unsupported_token_type', 400],
      [OAuthError.temporarilyUnavailable(), 'temporarily_unavailable', 503],
      [OAuthError.tooManyRequests(3), 'too_many_requests', 429],
      [OAuthError.serverError('rid'), 'server_error', 500],
    ];
    for (const [err, code, status] of cases) {
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(code);
      expect(err.status).toBe(status);
      expect(Object.keys(err.toJSON())).toEqual(['error', 'error_description']);
      expect(err.toJSON().error).toBe(code);
    }
  });

  it('invalid_client always carries a Basic challenge (RFC 9110 §15.5.2, RFC 6749 §5.2)', () => {
    expect(OAuthError.invalidClient().headers).toEqual({ 'www-authenticate': 'Basic realm="tessera", charset="UTF-8"' });
    expect(OAuthError.invalidClient('x').headers['www-authenticate']).toBe('Basic realm="tessera", charset="UTF-8"');
    expect(OAuthError.invalidClient('x', 'other').headers['www-authenticate']).toBe('Basic realm="other", charset="UTF-8"');
  });

  it('any 401 gets a challenge, whoever builds it; one it brings is kept; other statuses get none', () => {
    expect(new OAuthError('invalid_client', 'x', 401).headers['www-authenticate']).toBe('Basic realm="tessera", charset="UTF-8"');
    expect(new OAuthError('invalid_token', 'x', 401, { 'www-authenticate': 'Bearer error="invalid_token"' }).headers).toEqual({ 'www-authenticate': 'Bearer error="invalid_token"' });
    expect(new OAuthError('invalid_client', 'x', 401, { 'x-extra': '1' }).headers).toEqual({ 'x-extra': '1', 'www-authenticate': 'Basic realm="tessera", charset="UTF-8"' });
    for (const err of [OAuthError.invalidRequest('x'), OAuthError.invalidGrant('x'), OAuthError.tooManyRequests(1), OAuthError.serverError('r')]) {
      expect(err.headers['www-authenticate']).toBeUndefined();
    }
  });

  it('a subcode is a typed field, sent as the description\'s prefix; the RFC code stays invalid_client', () => {
    const err = OAuthError.invalidSignature('this BIZ-API-NONCE was already used');
    expect(err).toMatchObject({ code: 'invalid_client', status: 401, subcode: 'invalid_signature', message: 'this BIZ-API-NONCE was already used' });
    expect(err.headers['www-authenticate']).toBe('Basic realm="tessera", charset="UTF-8"');
    expect(err.description).toBe('invalid_signature: this BIZ-API-NONCE was already used');
    expect(JSON.parse(JSON.stringify(err))).toEqual({ error: 'invalid_client', error_description: 'invalid_signature: this BIZ-API-NONCE was already used' });
    expect(OAuthError.invalidClient('x').subcode).toBeUndefined();
    expect(OAuthError.invalidClient('x').toJSON().error_description).toBe('x');
  });

  it('Retry-After on 503 and 429', () => {
    expect(OAuthError.temporarilyUnavailable('x', 7).headers['retry-after']).toBe('7');
    expect(OAuthError.tooManyRequests(2).headers['retry-after']).toBe('2');
  });

  it('server_error names the request id', () => {
    expect(OAuthError.serverError('req-1').description).toContain('req-1');
  });

  it('JSON.stringify gives the §5.2 body', () => {
    expect(JSON.parse(JSON.stringify(OAuthError.invalidScope('nope')))).toEqual({ error: 'invalid_scope', error_description: 'nope' });
  });

  it('keeps error_description within RFC 6749 §5.2 (%x20-21 / %x23-5B / %x5D-7E), whatever the caller passed', () => {
    expect(new OAuthError('invalid_client', 'not form-urlencoded (RFC 6749 §2.3.1)', 401).description).toBe('not form-urlencoded (RFC 6749 ?2.3.1)');
    expect(OAuthError.invalidGrant('the "exp" claim failed').description).toBe("the 'exp' claim failed");
    expect(OAuthError.invalidRequest('a\\b\tc\r\nd\u0000e\u007fé😀').description).toBe('a/b c  d?e???');
    // Every allowed character passes unchanged, and nothing in it is copied when there is nothing to change.
    const allowed = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).filter((c) => c !== '"' && c !== '\\').join('');
    expect(safeDescription(allowed)).toBe(allowed);
    for (let code = 0; code < 0x2000; code++) expectErrorCharset(OAuthError.invalidRequest(`x${String.fromCharCode(code)}y`).toJSON(), `U+${code.toString(16)}`);
    expectErrorCharset(JSON.parse(JSON.stringify(OAuthError.invalidScope('🔑 "quoted" \\ §'))));
  });
});
