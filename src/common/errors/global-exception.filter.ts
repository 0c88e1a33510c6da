import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorBody } from './app-error';
import { errorEntry, type ErrorCode } from './error-codes';

const PG_UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

/**
 * PostgreSQL data exceptions a client's value causes: a date or time it cannot take (22007,
 * 22008, 22009), a number out of range (22003), text it cannot parse as the column's type
 * (22P02), a NUL or an untranslatable character (22021, 22P05). The DTOs refuse these first;
 * this is the backstop, so a value they miss is a 400, not a 500. Logged at warn, since a
 * query of ours can raise them too.
 */
const PG_BAD_VALUE_CODES = new Set(['22007', '22008', '22009', '22003', '22P02', '22021', '22P05']);

export function isBadValueFromDatabase(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown; severity?: unknown }; severity?: unknown } | null;
  if (!e) return false;
  const code = e.driverError?.code ?? e.code;
  // pg's DatabaseError carries a severity; a Node system error with the same code would not.
  const fromPg = e.severity !== undefined || e.driverError?.severity !== undefined;
  return typeof code === 'string' && fromPg && PG_BAD_VALUE_CODES.has(code);
}

/** True when an error means "PostgreSQL is not reachable right now" rather than a bad query. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string }; message?: string; errors?: unknown[]; name?: string } | null;
  if (!e) return false;
  const code = e.code ?? e.driverError?.code;
  if (code && PG_UNAVAILABLE_CODES.has(code)) return true;
  // net.connect to several addresses fails with an AggregateError of the per-address errors.
  if (Array.isArray(e.errors) && e.errors.some(isDatabaseUnavailable)) return true;
  // TypeORM releases a query runner when its connection errors (a PostgreSQL restart), so the
  // next query of that transaction fails with one of these - through the runner or its manager.
  if (e.name === 'QueryRunnerAlreadyReleasedError' || e.name === 'QueryRunnerProviderAlreadyReleasedError') return true;
  const msg = e.message ?? '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|the database system is (starting up|shutting down|in recovery mode)|Client has encountered a connection error|Client was closed and is not queryable|terminating connection/i.test(msg);
}

/** What a body parser's or the router's refusal is, by its `type` or `code`. */
const PARSER_ERRORS: Record<string, ErrorCode> = {
  'entity.too.deep': 'REQUEST.TOO_DEEP',
  'entity.parse.failed': 'REQUEST.MALFORMED_JSON',
  'charset.unsupported': 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'REQUEST.TOO_LARGE',
  // A body shorter or longer than its Content-Length: a bad request, not a large one.
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION.FAILED',
  FST_REQ_FILE_TOO_LARGE: 'REQUEST.TOO_LARGE',
  LIMIT_FILE_SIZE: 'REQUEST.TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
};

/** One error shape for every failure; never a stack trace to the client. */
@Catch()
export class GlobalExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(GlobalExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<FastifyRequest>();
    const res = ctx.getResponse<FastifyReply>();
    const body = this.toBody(exception, String(req.id ?? ''));
    if (body.statusCode >= 500) {
      this.logger.error({ err: exception, code: body.code, requestId: body.requestId }, 'request failed');
    }
    if (res.sent) return;
    if (exception instanceof AppError && exception.headers) res.headers(exception.headers);
    void res.code(body.statusCode).send(body);
  }

  toBody(exception: unknown, requestId: string): ErrorBody {
    if (exception instanceof AppError) {
      return this.shape(exception.status, exception.code, exception.message, exception.details, requestId);
    }
    // The body parsers' errors (src/common/http/json-body.ts: a `type`), Fastify's (a `code`)
    // and the upload interceptors' (multer's `code`s); Nest wraps some of them in an
    // HttpException whose `cause` is the original error.
    const cause = exception instanceof HttpException && exception.cause ? exception.cause : exception;
    const bp = cause as { type?: string; status?: number; code?: string };
    const fromParser = PARSER_ERRORS[bp?.type ?? bp?.code ?? ''];
    if (fromParser) return this.fromCode(fromParser, requestId);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = this.codeForStatus(status);
      const response = exception.getResponse();
      const message =
        typeof response === 'object' && response && 'message' in response && typeof response.message === 'string'
          ? response.message
          : errorEntry(code).message;
      return this.shape(status, code, status === HttpStatus.NOT_FOUND ? errorEntry(code).message : message, undefined, requestId);
    }
    if (isDatabaseUnavailable(exception)) return this.fromCode('SERVICE.DATABASE_UNAVAILABLE', requestId);
    if (isBadValueFromDatabase(exception)) {
      this.logger.warn({ err: exception, requestId }, 'PostgreSQL refused a value the validation let through');
      return this.fromCode('VALIDATION.FAILED', requestId);
    }
    return this.fromCode('INTERNAL.ERROR', requestId);
  }

  private codeForStatus(status: number): ErrorCode {
    switch (status) {
      case 400:
        return 'VALIDATION.FAILED';
      case 404:
        return 'ROUTE.NOT_FOUND';
      case 413:
        return 'REQUEST.TOO_LARGE';
      case 415:
        return 'REQUEST.UNSUPPORTED_MEDIA_TYPE';
      case 429:
        return 'RATE.LIMITED';
      case 503:
        return 'SERVICE.DATABASE_UNAVAILABLE';
      default:
        return status >= 500 ? 'INTERNAL.ERROR' : 'VALIDATION.FAILED';
    }
  }

  private fromCode(code: ErrorCode, requestId: string): ErrorBody {
    const { status, message } = errorEntry(code);
    return this.shape(status, code, message, undefined, requestId);
  }

  private shape(statusCode: number, code: string, message: string, details: unknown, requestId: string): ErrorBody {
    return details === undefined ? { statusCode, code, message, requestId } : { statusCode, code, message, details, requestId };
  }
}
