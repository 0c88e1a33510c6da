import { ERROR_CODES, type ErrorCode } from './error-codes';

/**
 * The one error type domain code throws. The global filter turns it into
 * `{ statusCode, code, message, details?, requestId }`; status comes from the code table so the
 * same code always means the same status.
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: unknown,
    /** Response headers that belong to this error (e.g. Retry-After on a 429). */
    readonly headers?: Record<string, string>,
  ) {
    super(message ?? ERROR_CODES[code].message);
    this.status = ERROR_CODES[code].status;
    this.name = 'AppError';
  }
}

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: unknown;
  requestId: string;
}
