/**
 * Every error code the service can answer with, and its HTTP status. Codes are part of the API:
 * clients branch on them, so a code is never renamed or reused for something else.
 * Feature issues add their codes here, grouped by prefix.
 */
export const ERROR_CODES = {
  // request shape
  'VALIDATION.FAILED': { status: 400, message: '请求参数不合法 / request validation failed' },
  'REQUEST.MALFORMED_JSON': { status: 400, message: '请求体不是合法的 JSON / malformed JSON body' },
  'REQUEST.TOO_LARGE': { status: 413, message: '请求体过大 / request body too large' },
  'REQUEST.UNSUPPORTED_MEDIA_TYPE': { status: 415, message: '不支持的内容类型 / unsupported media type' },
  'ROUTE.NOT_FOUND': { status: 404, message: '接口不存在 / no such route' },
  'RATE.LIMITED': { status: 429, message: '请求过于频繁 / too many requests' },
  // infrastructure
  'SERVICE.DATABASE_UNAVAILABLE': { status: 503, message: '数据库暂不可用 / database unavailable' },
  'SERVICE.QUEUE_UNAVAILABLE': { status: 503, message: '任务队列暂不可用 / job queue unavailable' },
  'INTERNAL.ERROR': { status: 500, message: '服务器内部错误 / internal error' },
  // system
  'JOB.NOT_FOUND': { status: 404, message: '任务不存在 / no such job' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
