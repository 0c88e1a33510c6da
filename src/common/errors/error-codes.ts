/**
 * Every error code the service can answer with, and its HTTP status. Codes are part of the API:
 * clients branch on them, so a code is never renamed or reused for something else.
 * Each feature keeps its codes in its own `<feature>.errors.ts`, merged here.
 */
import { BOARD_ERRORS } from '@app/board/board.errors';
import { TERMINAL_ERRORS } from '@app/auth/terminal.errors';
import { CATALOG_ERRORS } from '@app/catalog/catalog.errors';
import { LEDGER_ERRORS } from '@app/ledger/ledger.errors';
import { NOTICE_ERRORS } from '@app/notices/notices.errors';
import { ORG_ERRORS } from '@app/org/org.errors';
import { RESIDENT_PAGE_ERRORS } from '@app/resident/resident.errors';
import { REVIEW_ERRORS } from '@app/review/review.errors';
import { ENTRY_ERRORS } from '@app/entries/entry.errors';
import { SHOP_ERRORS } from '@app/shop/shop.errors';

export const ERROR_CODES = {
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
  // system
  'JOB.NOT_FOUND': { status: 404, message: '任务不存在 / no such job' },
  'QUEUE.DASHBOARD_READ_ONLY': { status: 405, message: '任务队列面板只读 / the queue dashboard is read-only' },
  // authentication and scope
  'AUTH.UNAUTHENTICATED': { status: 401, message: '需要登录 / authentication required' },
  'AUTH.INVALID_CREDENTIALS': { status: 401, message: '用户名或密码错误 / wrong username or password' },
  'AUTH.LOGIN_THROTTLED': { status: 429, message: '登录失败次数过多，请稍后再试 / too many failed logins from this client, retry later' },
  'AUTH.ACCOUNT_DISABLED': { status: 403, message: '账号已停用 / account disabled' },
  'AUTH.PASSWORD_CHANGE_REQUIRED': { status: 403, message: '请先修改一次性密码（POST /auth/password） / change your one-time password first' },
  'AUTH.WRONG_PASSWORD': { status: 400, message: '当前密码不正确 / current password is wrong' },
  'AUTH.PASSWORD_UNCHANGED': { status: 400, message: '新密码不能与当前密码相同 / the new password must differ' },
  'AUTH.CONSOLE_HEADER_REQUIRED': { status: 403, message: '使用登录 Cookie 时须带 x-xinyi-console 请求头 / the session cookie needs the x-xinyi-console header' },
  'AUTH.INVALID_TOKEN': { status: 401, message: '令牌无效或已过期 / invalid or expired token' },
  'AUTH.INVALID_API_KEY': { status: 401, message: '终端密钥无效或已吊销 / unknown or revoked API key' },
  'AUTH.FORBIDDEN': { status: 403, message: '无此操作权限 / role not allowed' },
  'AUTH.OUT_OF_SCOPE': { status: 403, message: '超出管辖范围 / outside your village, town or shop' },
  'STAFF.USERNAME_TAKEN': { status: 409, message: '用户名已存在 / username taken' },
  'STAFF.NOT_FOUND': { status: 404, message: '工作人员不存在 / no such staff user' },
  'STAFF.INVALID_SCOPE': { status: 400, message: '角色与管辖范围不符 / role and scope do not match' },
  'STAFF.SELF_RESET': { status: 409, message: '不能重置自己的密码，请在“修改密码”中修改 / reset another user\'s password; change your own instead' },
  'TERMINAL.NOT_FOUND': { status: 404, message: '终端不存在 / no such terminal' },
  ...TERMINAL_ERRORS,
  ...ORG_ERRORS,
  ...CATALOG_ERRORS,
  ...ENTRY_ERRORS,
  ...LEDGER_ERRORS,
  ...SHOP_ERRORS,
  ...REVIEW_ERRORS,
  ...BOARD_ERRORS,
  ...NOTICE_ERRORS,
  ...RESIDENT_PAGE_ERRORS,
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
