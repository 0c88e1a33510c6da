/** Stable error codes of the review cycle (merged into ERROR_CODES). Never rename or reuse a code. */
export const REVIEW_ERRORS = {
  'CYCLE.NOT_OPEN': { status: 409, message: '本期已关闭，不能再修改 / the period is not open' },
} as const satisfies Record<string, { status: number; message: string }>;
