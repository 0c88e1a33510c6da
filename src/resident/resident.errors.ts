/** Stable error codes of the resident page and its tokens (registered in src/error-codes.ts). Never rename or reuse a code. */
export const RESIDENT_PAGE_ERRORS = {
  'RESIDENT.TOKEN_INVALID': { status: 401, message: '链接无效或已停用，请向村委会索取新的积分卡 / unknown or revoked resident link' },
  'RESIDENT.NOT_ACTIVE': { status: 409, message: '该村民已迁出、去世或被除名，不再发放积分卡 / resident is not active, no card is issued' },
  'RESIDENT.NO_ACTIVE_RESIDENTS': { status: 404, message: '所选范围内没有在册村民 / no active residents in this selection' },
} as const satisfies Record<string, { status: number; message: string }>;
