import { type ArgumentsHost, BadRequestException, Logger, NotFoundException } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { AppError } from './app-error';
import { GlobalExceptionFilter, isBadValueFromDatabase, isDatabaseUnavailable } from './global-exception.filter';

describe('isDatabaseUnavailable', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }],
    [{ driverError: { code: '57P01' } }],
    [{ message: 'Connection terminated unexpectedly' }],
    [{ message: 'Client was closed and is not queryable' }],
    [{ message: 'terminating connection due to administrator command' }],
    [{ name: 'AggregateError', message: '', errors: [{ code: 'ECONNREFUSED' }, { code: 'ECONNREFUSED' }] }],
    [{ name: 'QueryRunnerAlreadyReleasedError', message: 'Query runner already released' }],
    [{ name: 'QueryRunnerProviderAlreadyReleasedError', message: 'Database connection provided by a query runner was already released' }],
  ])('treats %o as PostgreSQL being unavailable', (err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([[{ code: '23505', message: 'duplicate key' }], [{ message: 'syntax error at or near' }], [null], [new Error('boom')]])('does not treat %o as an outage', (err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});

describe('isBadValueFromDatabase', () => {
  it.each([
    [{ code: '22008', severity: 'ERROR', message: 'date/time field value out of range: "2026-02-30"' }],
    [{ name: 'QueryFailedError', driverError: { code: '22021', severity: 'ERROR' } }],
    [{ code: '22P02', severity: 'ERROR', message: 'invalid input syntax for type uuid' }],
  ])('treats %o as a bad value (400)', (err) => {
    expect(isBadValueFromDatabase(err)).toBe(true);
    expect(new GlobalExceptionFilter().toBody(err, 'r').statusCode).toBe(400);
  });

  it.each([[{ code: '22008' }], [{ code: '23505', severity: 'ERROR' }], [{ code: '42P01', severity: 'ERROR' }], [null]])('does not treat %o as one', (err) => {
    expect(isBadValueFromDatabase(err)).toBe(false);
  });
});

describe('GlobalExceptionFilter.toBody', () => {
  const filter = new GlobalExceptionFilter();

  it('keeps an AppError code, status and details', () => {
    expect(filter.toBody(new AppError('ENTRY.NOT_FOUND', undefined, { id: 1 }), 'r1')).toEqual({ statusCode: 404, code: 'ENTRY.NOT_FOUND', message: expect.any(String), details: { id: 1 }, requestId: 'r1' });
  });

  it('maps the body parsers\' and the uploads\' errors, wrapped by Nest or not', () => {
    const wrap = (props: Record<string, unknown>) => new BadRequestException('x', { cause: Object.assign(new Error('refused'), props) });
    expect(filter.toBody(wrap({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), 'r').code).toBe('REQUEST.TOO_LARGE');
    expect(filter.toBody(wrap({ code: 'LIMIT_FILE_SIZE' }), 'r').code).toBe('REQUEST.TOO_LARGE');
    expect(filter.toBody(wrap({ code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', statusCode: 400 }), 'r')).toMatchObject({ statusCode: 400, code: 'VALIDATION.FAILED', message: expect.stringMatching(/^请求参数不合法/) });
    expect(filter.toBody(wrap({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }), 'r')).toMatchObject({ statusCode: 415, code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE' });
    expect(filter.toBody(Object.assign(new Error('bad'), { type: 'entity.parse.failed' }), 'r')).toMatchObject({ statusCode: 400, code: 'REQUEST.MALFORMED_JSON' });
    expect(filter.toBody(Object.assign(new Error('deep'), { type: 'entity.too.deep' }), 'r').code).toBe('REQUEST.TOO_DEEP');
  });

  it('answers unknown errors 500 without leaking their message', () => {
    const body = filter.toBody(new Error('secret path /etc/x'), 'r');
    expect(body).toMatchObject({ statusCode: 500, code: 'INTERNAL.ERROR' });
    expect(JSON.stringify(body)).not.toContain('secret');
  });

  it('answers Nest 404s with ROUTE.NOT_FOUND', () => {
    expect(filter.toBody(new NotFoundException('Cannot GET /x'), 'r')).toMatchObject({ statusCode: 404, code: 'ROUTE.NOT_FOUND' });
  });

  it('answers a lost database as 503', () => {
    expect(filter.toBody({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'r')).toMatchObject({ statusCode: 503, code: 'SERVICE.DATABASE_UNAVAILABLE' });
  });
});

describe('GlobalExceptionFilter.catch', () => {
  // No request context carries the id into log lines (docs/PERFORMANCE.md "The request line without
  // pino-http"): the line about a failed request names it itself.
  it('logs a 5xx with the request id the client was given', () => {
    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const sent: unknown[] = [];
      const res = { sent: false, headers: () => res, code: () => res, send: (b: unknown) => sent.push(b) };
      const host = { switchToHttp: () => ({ getRequest: () => ({ id: 'rid-500' }), getResponse: () => res }) } as unknown as ArgumentsHost;
      new GlobalExceptionFilter().catch(new Error('boom'), host);
      expect(sent).toEqual([expect.objectContaining({ statusCode: 500, requestId: 'rid-500' })]);
      expect(error).toHaveBeenCalledWith(expect.objectContaining({ requestId: 'rid-500', code: 'INTERNAL.ERROR' }), 'request failed');
    } finally {
      error.mockRestore();
    }
  });
});
