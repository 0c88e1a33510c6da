/** Stable error codes of this feature (merged into ERROR_CODES). Never rename or reuse a code. */
export const LEDGER_ERRORS = {
} as const satisfies Record<string, { status: number; message: string }>;
