/** Stable error codes of this feature (registered in src/error-codes.ts). Never rename or reuse a code. */
export const CATALOG_ERRORS = {
  'CATALOG.NO_VERSION_ADOPTED': { status: 409, message: '本镇在该日期没有生效的积分目录 / no catalogue version in force for the town on that date' },
  'CATALOG.VERSION_NOT_FOUND': { status: 404, message: '目录版本不存在 / no such catalogue version' },
  'CATALOG.ITEM_NOT_FOUND': { status: 404, message: '目录中没有该事项 / no such item in the catalogue in force' },
  'CATALOG.ITEM_CODE_TAKEN': { status: 409, message: '本村已有该事项编号 / item code taken in this village' },
  'CATALOG.INVALID_RULE': { status: 400, message: '计分规则不合法 / invalid scoring rule' },
  'CATALOG.VILLAGE_ITEM_LIMIT': { status: 422, message: '超出本镇对村自设事项的限制 / over the town limits for village items' },
  'CATALOG.ADOPTION_IN_PAST': { status: 422, message: '生效日期不能早于今天 / effective date cannot be before today' },
  'CATALOG.ADOPTION_EXISTS': { status: 409, message: '本镇在该日期已有采用记录 / the town already adopts a version from that date' },
  'CATALOG.ITEM_RETIRED': { status: 409, message: '该事项已停用 / the item is already retired' },
} as const satisfies Record<string, { status: number; message: string }>;
