/** Stable error codes of the notices (registered in src/error-codes.ts). Never rename or reuse a code. */
export const NOTICE_ERRORS = {
  'NOTICE.NOT_FOUND': { status: 404, message: '通知不存在或不属于本镇 / no such notice in your town' },
  'NOTICE.NOT_FAILED': { status: 409, message: '只能重发发送失败的通知 / only failed notices can be retried' },
} as const satisfies Record<string, { status: number; message: string }>;
