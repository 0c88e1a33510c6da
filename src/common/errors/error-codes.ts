/**
 * The error-code registry. Codes are part of the API: clients branch on them, so a code is never
 * renamed or reused for something else, and a code always answers with the same HTTP status.
 *
 * `common/` holds only the mechanism and the codes that belong to no feature (request shape,
 * infrastructure, rate limit, unknown route, internal error). Each feature keeps its codes in its
 * own `<feature>.errors.ts`; the root file `src/error-codes.ts` (beside `features.ts`) imports
 * them all, fills the runtime map once with `registerErrorCodes(...)` and adds them to
 * `ErrorCodeTable` by declaration merging, so `ErrorCode` stays a precise union of literals (a
 * misspelt code in `new AppError(...)` is a compile error) without `common/` importing a feature.
 */

export interface ErrorEntry {
  readonly status: number;
  readonly message: string;
}

/** What a feature's `*.errors.ts` exports: code → status and Chinese (and English) message. */
export type ErrorTable = Readonly<Record<string, ErrorEntry>>;

/**
 * Every code the service can answer with, as types. Empty here; `src/error-codes.ts` augments it:
 * `declare module '@app/common/errors/error-codes' { interface ErrorCodeTable extends ... {} }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface ErrorCodeTable {}

export type ErrorCode = keyof ErrorCodeTable & string;

/** The codes of no feature in particular. */
export const COMMON_ERRORS = {
  // request shape
  'VALIDATION.FAILED': { status: 400, message: '请求参数不合法 / request validation failed' },
  'REQUEST.MALFORMED_JSON': { status: 400, message: '请求体不是合法的 JSON / malformed JSON body' },
  'REQUEST.TOO_DEEP': { status: 400, message: '请求体嵌套层数过深 / JSON body nests too deep' },
  'REQUEST.TOO_LARGE': { status: 413, message: '请求体过大 / request body too large' },
  'REQUEST.UNSUPPORTED_MEDIA_TYPE': { status: 415, message: '不支持的内容类型 / unsupported media type' },
  'REQUEST.IDEMPOTENCY_KEY_CONFLICT': { status: 400, message: '请求头 Idempotency-Key 与请求体 idempotencyKey 不一致 / Idempotency-Key header and body idempotencyKey differ' },
  'ROUTE.NOT_FOUND': { status: 404, message: '接口不存在 / no such route' },
  'RATE.LIMITED': { status: 429, message: '请求过于频繁 / too many requests' },
  // infrastructure
  'SERVICE.DATABASE_UNAVAILABLE': { status: 503, message: '数据库暂不可用 / database unavailable' },
  'SERVICE.QUEUE_UNAVAILABLE': { status: 503, message: '任务队列暂不可用 / job queue unavailable' },
  'INTERNAL.ERROR': { status: 500, message: '服务器内部错误 / internal error' },
} as const satisfies ErrorTable;

/** `AREA.WHAT`: upper case, digits and underscores on both sides of one dot. */
const CODE_SHAPE = /^[A-Z][A-Z0-9_]*\.[A-Z][A-Z0-9_]*$/;

/** A code → entry map with the checks the registration needs; one instance serves the process. */
export class ErrorCodeRegistry {
  private readonly entries = new Map<string, ErrorEntry>();

  /**
   * Adds the tables. Throws when given no code at all, when a code is malformed or its status is
   * not a 4xx/5xx, when two of the tables given hold the same code (two owners of one code), and
   * when a code already registered comes again with another status or message. The same code
   * with the same entry in a later call is accepted (the root module evaluated twice).
   */
  register(...tables: ErrorTable[]): void {
    const incoming = new Map<string, ErrorEntry>();
    for (const table of tables) {
      for (const [code, entry] of Object.entries(table)) {
        if (!CODE_SHAPE.test(code)) throw new Error(`error code "${code}" is not of the form AREA.WHAT (upper case)`);
        if (!Number.isInteger(entry.status) || entry.status < 400 || entry.status > 599) throw new Error(`error code ${code}: status ${entry.status} is not a 4xx or 5xx`);
        if (typeof entry.message !== 'string' || entry.message.trim() === '') throw new Error(`error code ${code} has no message`);
        if (incoming.has(code)) throw new Error(`error code ${code} is in two of the tables registered together: one owner per code`);
        incoming.set(code, { status: entry.status, message: entry.message });
      }
    }
    if (incoming.size === 0) throw new Error('registerErrorCodes: no error code given');
    for (const [code, entry] of incoming) {
      const known = this.entries.get(code);
      if (known && (known.status !== entry.status || known.message !== entry.message)) {
        throw new Error(`error code ${code} registered twice: ${known.status} "${known.message}" and ${entry.status} "${entry.message}"`);
      }
    }
    for (const [code, entry] of incoming) this.entries.set(code, entry);
  }

  has(code: string): boolean {
    return this.entries.has(code);
  }

  /** The entry of a registered code; throws, naming what to import, for any other. */
  entry(code: string): ErrorEntry {
    const entry = this.entries.get(code);
    if (entry) return entry;
    const hint =
      this.entries.size === 0
        ? 'no error code is registered: load src/error-codes.ts (@app/error-codes) first in this entry point (api, worker, CLI script, test setup)'
        : "add it to its feature's *.errors.ts and that table to registerErrorCodes in src/error-codes.ts";
    throw new Error(`error code ${code} is not registered: ${hint}`);
  }

  /** Every registered code, sorted. */
  codes(): string[] {
    return [...this.entries.keys()].sort();
  }
}

const registry = new ErrorCodeRegistry();

/** Fills the process's code map; called once, by `src/error-codes.ts`. See `ErrorCodeRegistry.register`. */
export function registerErrorCodes(...tables: ErrorTable[]): void {
  registry.register(...tables);
}

/** Status and message of a code; throws when the code is not registered (see `ErrorCodeRegistry.entry`). */
export function errorEntry(code: ErrorCode): ErrorEntry {
  return registry.entry(code);
}

/** Whether a string (say, a rule engine's problem code) is a registered error code. */
export function isErrorCode(code: string): code is ErrorCode {
  return registry.has(code);
}

/** Every registered code, sorted (for the specs that check the table). */
export function registeredErrorCodes(): ErrorCode[] {
  return registry.codes() as ErrorCode[];
}
