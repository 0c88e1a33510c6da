/** Stable error codes of this feature (merged into ERROR_CODES). Never rename or reuse a code. */
export const SHOP_ERRORS = {
  'SHOP.NOT_FOUND': { status: 404, message: '信义超市不存在 / no such shop' },
  'SHOP.CODE_TAKEN': { status: 409, message: '超市编号已存在 / shop code taken' },
} as const satisfies Record<string, { status: number; message: string }>;
