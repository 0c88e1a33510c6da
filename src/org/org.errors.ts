/** Stable error codes of this feature (merged into ERROR_CODES). Never rename or reuse a code. */
export const ORG_ERRORS = {
  'ORG.TOWN_NOT_FOUND': { status: 404, message: '乡镇不存在 / no such town' },
  'ORG.VILLAGE_NOT_FOUND': { status: 404, message: '村（社区）不存在 / no such village' },
} as const satisfies Record<string, { status: number; message: string }>;
