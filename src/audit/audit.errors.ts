/**
 * Stable error codes of the audit log search (merged into ERROR_CODES). It answers with existing
 * codes only: 400 VALIDATION.FAILED (bad filter, limit over 500, a cursor it did not issue),
 * 401/403 AUTH.*. A new code goes here, never renamed or reused.
 */
export const AUDIT_ERRORS = {} as const satisfies Record<string, { status: number; message: string }>;
