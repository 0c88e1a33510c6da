/**
 * Stable error codes of the public board (merged into ERROR_CODES). The board answers with codes
 * that already exist: 404 BOARD.NOT_FOUND (review.errors.ts: unknown or not yet publicized board),
 * 404 ORG.VILLAGE_NOT_FOUND, 400 VALIDATION.FAILED (malformed uuid or period). None of its own yet;
 * a new one goes here, never renamed or reused.
 */
export const BOARD_ERRORS = {} as const satisfies Record<string, { status: number; message: string }>;
