import { AppError } from '@app/common/errors/app-error';
import { fieldProblem } from '@app/common/http/validation-messages';
import { isPlausibleTimestamp } from '@app/common/http/field-decorators';

/** Rows per keyset page when the client asks for no limit (postings search, audit log). */
export const DEFAULT_PAGE = 50;

/**
 * Opaque keyset cursor over (timestamp, bigint id), newest first. The timestamp is carried as
 * PostgreSQL wrote it (microseconds, UTC), never through a JS Date, so no row is skipped or
 * repeated at a millisecond boundary.
 */
export interface KeysetPosition {
  at: string;
  id: string;
}

const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const ID = /^\d{1,19}$/;
const MAX_BIGINT = 2n ** 63n - 1n;

export function encodeCursor(p: KeysetPosition): string {
  return Buffer.from(JSON.stringify([p.at, p.id]), 'utf8').toString('base64url');
}

/** A cursor that was not made by encodeCursor is a 400, like any other malformed parameter. */
export function decodeCursor(cursor: string | undefined): KeysetPosition | null {
  if (cursor === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string' && AT.test(parsed[0]) && ID.test(parsed[1]) && isPlausibleTimestamp(parsed[0]) && BigInt(parsed[1]) <= MAX_BIGINT) {
    return { at: parsed[0], id: parsed[1] };
  }
  throw new AppError('VALIDATION.FAILED', undefined, [fieldProblem('cursor', 'cursor', '不是本接口返回的游标，请用上一页的 nextCursor', 'cursor is not one this API returned', '分页游标')]);
}

/** SQL for the cursor column: the row's timestamp as text with microseconds, UTC. */
export const cursorAtSql = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Rows were read with limit + 1: the page, and the cursor for the next one if there is more. */
export function page<T extends { cursorAt: string; id: string }>(rows: T[], limit: number): { items: Array<Omit<T, 'cursorAt'>>; nextCursor: string | null } {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return {
    items: kept.map(({ cursorAt: _c, ...rest }) => rest),
    nextCursor: more && last ? encodeCursor({ at: last.cursorAt, id: last.id }) : null,
  };
}
