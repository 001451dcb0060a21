import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError, OAuthError } from '../../src/oauth/errors.js';
import type { IncomingMessage } from 'node:http';
import { CLIENT_ABORTED, isClientAbort, toOAuthError } from '../../src/http/errors.js';

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

  it('maps a path the router cannot decode to 400 invalid_request', () => {
    const out = toOAuthError(Object.assign(new Error("'/%zz' is not a valid url component"), { code: 'FST_ERR_BAD_URL', statusCode: 400 }), 'r');
    expect(out).toMatchObject({ code: 'invalid_request', status: 400, description: 'The request URL is malformed' });
  });

  it('tells a client that went away mid-body from a dependency failure with the same code', () => {
    const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    const gone = { aborted: true, socket: { destroyed: true } } as unknown as IncomingMessage;
    const here = { aborted: false, socket: { destroyed: false } } as unknown as IncomingMessage;
    expect(isClientAbort(reset, gone)).toBe(true);
    expect(isClientAbort(Object.assign(new Error('x'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }), gone)).toBe(true);
    expect(isClientAbort(Object.assign(new Error('x'), { code: 'ECONNABORTED' }), { aborted: false, socket: { destroyed: true } } as unknown as IncomingMessage)).toBe(true);
    expect(toOAuthError(reset, 'r', gone)).toBe(CLIENT_ABORTED);
    expect(CLIENT_ABORTED.status).toBeLessThan(500);
    // The client is still there: PostgreSQL or Redis reset our connection, a retry may succeed.
    expect(isClientAbort(reset, here)).toBe(false);
    expect(toOAuthError(reset, 'r', here).status).toBe(503);
    expect(toOAuthError(reset, 'r').status).toBe(503);
    // Another error on a request whose client left is still what it is.
    expect(toOAuthError(Object.assign(new Error('x'), { code: 'SQLITE_BUSY' }), 'r', gone).status).toBe(503);
  });
});
