/** Stable error codes of terminals and pairing (registered in src/error-codes.ts). Never rename or reuse a code. */
export const TERMINAL_ERRORS = {
  'TERMINAL.NOT_FOUND': { status: 404, message: '终端不存在 / no such terminal' },
  'TERMINAL.PAIRING_CODE_INVALID': { status: 400, message: '配对码不正确，请核对后重新输入 / unknown pairing code' },
  'TERMINAL.PAIRING_CODE_EXPIRED': { status: 410, message: '配对码已过期，请镇管理员重新生成 / pairing code expired' },
  'TERMINAL.PAIRING_CODE_USED': { status: 409, message: '配对码已经用过，请镇管理员重新生成 / pairing code already used' },
  'TERMINAL.CLERK_REQUIRED': { status: 401, message: '请店员先登录 / this till needs a signed-in shop clerk' },
} as const satisfies Record<string, { status: number; message: string }>;
