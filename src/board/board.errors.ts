/**
 * Stable error codes of the public board (registered in src/error-codes.ts). The board answers with codes
 * that already exist: 404 BOARD.NOT_FOUND (review.errors.ts: unknown or not yet publicized board),
 * 404 ORG.VILLAGE_NOT_FOUND, 400 VALIDATION.FAILED (malformed uuid or period). A new one goes here, never renamed or reused.
 */
export const BOARD_ERRORS = {
  'BOARD.VILLAGE_CODE_AMBIGUOUS': { status: 409, message: '多个镇有此村编号，请加 ?town=镇编号 / several towns have this village code: add ?town=<town code>' },
} as const satisfies Record<string, { status: number; message: string }>;
