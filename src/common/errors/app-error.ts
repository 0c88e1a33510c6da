import { errorEntry, type ErrorCode } from './error-codes';

/**
 * The one error type domain code throws. The global filter turns it into
 * `{ statusCode, code, message, details?, requestId }`; status comes from the code table so the
 * same code always means the same status. A code must be registered (src/error-codes.ts loaded):
 * building one with an unregistered code throws, rather than answering with status undefined.
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
    const entry = errorEntry(code);
    super(message ?? entry.message);
    this.status = entry.status;
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
