/** Stable error codes of sign-in, scope and staff users (registered in src/error-codes.ts). Never rename or reuse a code. */
export const AUTH_ERRORS = {
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
  // staff users
  'STAFF.USERNAME_TAKEN': { status: 409, message: '用户名已存在 / username taken' },
  'STAFF.NOT_FOUND': { status: 404, message: '工作人员不存在 / no such staff user' },
  'STAFF.INVALID_SCOPE': { status: 400, message: '角色与管辖范围不符 / role and scope do not match' },
  'STAFF.SELF_RESET': { status: 409, message: '不能重置自己的密码，请在“修改密码”中修改 / reset another user\'s password; change your own instead' },
} as const satisfies Record<string, { status: number; message: string }>;
