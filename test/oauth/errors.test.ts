import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError, OAuthError } from '../../src/oauth/errors.js';
import { toOAuthError } from '../../src/http/errors.js';

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

  it('invalid_client carries a Basic challenge only when Basic was tried', () => {
    expect(OAuthError.invalidClient().headers).toEqual({});
    expect(OAuthError.invalidClient('x', 'tessera').headers['www-authenticate']).toBe('Basic realm="tessera", charset="UTF-8"');
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
});

describe('toOAuthError (HTTP mapping of anything thrown)', () => {
  it('passes OAuthError through', () => {
    const e = OAuthError.invalidGrant('x');
    expect(toOAuthError(e, 'r')).toBe(e);
  });

  it('turns an unexpected error into server_error 500 without its message', () => {
    const out = toOAuthError(new Error('SELECT secret FROM clients failed at /src/x.ts:1'), 'req-9');
    expect(out.status).toBe(500);
    expect(out.code).toBe('server_error');
    expect(out.description).not.toMatch(/SELECT|\.ts/);
    expect(out.description).toContain('req-9');
    expect(toOAuthError('a string', 'r').code).toBe('server_error');
    expect(toOAuthError(null, 'r').code).toBe('server_error');
  });

  it('turns dependency failures into 503 temporarily_unavailable', () => {
    expect(toOAuthError(new DependencyUnavailableError('redis'), 'r').status).toBe(503);
    expect(toOAuthError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'r').code).toBe('temporarily_unavailable');
    expect(toOAuthError(Object.assign(new Error('x'), { code: 'SQLITE_BUSY' }), 'r').status).toBe(503);
  });

  it('maps Fastify body errors to 413 and 400', () => {
    expect(toOAuthError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), 'r').status).toBe(413);
    expect(toOAuthError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }), 'r').status).toBe(400);
    expect(toOAuthError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400 }), 'r').code).toBe('invalid_request');
  });
});
