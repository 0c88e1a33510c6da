import { SHANGHAI_OFFSET_MS, shanghaiHour } from '@app/common/time';

/**
 * Quiet hours for SMS: by default none between 21:00 and 08:00 Asia/Shanghai (UTC+8 all year, no
 * DST). A notice due in them is held, never dropped, and sent from the end of the window on.
 * The window is a setting (NOTICE_QUIET_HOURS, whole hours "from-until"), default 21-8.
 */
export interface QuietHours {
  /** First quiet hour (0–23), Shanghai time. */
  from: number;
  /** First hour that is no longer quiet (0–23); before `from` when the window spans midnight. */
  until: number;
}

export const DEFAULT_QUIET_HOURS: QuietHours = { from: 21, until: 8 };
export const QUIET_HOURS_PATTERN = /^([01]?\d|2[0-3])-([01]?\d|2[0-3])$/;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** "21-8" → { from: 21, until: 8 }; null for anything else (or an empty window, from = until). */
export function parseQuietHours(text: string): QuietHours | null {
  const m = QUIET_HOURS_PATTERN.exec(text.trim());
  if (!m) return null;
  const q = { from: Number(m[1]), until: Number(m[2]) };
  return q.from === q.until ? null : q;
}

function inWindow(hour: number, q: QuietHours): boolean {
  return q.from < q.until ? hour >= q.from && hour < q.until : hour >= q.from || hour < q.until;
}

/** True when `at` falls in the quiet window, [from:00, until:00) Shanghai time. */
export function inQuietHours(at: Date, q: QuietHours = DEFAULT_QUIET_HOURS): boolean {
  return inWindow(shanghaiHour(at), q);
}

/** `at` itself outside quiet hours; otherwise the until:00 Shanghai that ends them. */
export function sendableFrom(at: Date, q: QuietHours = DEFAULT_QUIET_HOURS): Date {
  if (!inQuietHours(at, q)) return at;
  const local = at.getTime() + SHANGHAI_OFFSET_MS;
  const localMidnight = Math.floor(local / DAY_MS) * DAY_MS;
  const hour = new Date(local).getUTCHours();
  // In a window across midnight, an evening hour ends tomorrow; otherwise the end is today.
  const endLocal = localMidnight + (q.from > q.until && hour >= q.from ? DAY_MS : 0) + q.until * HOUR_MS;
  return new Date(endLocal - SHANGHAI_OFFSET_MS);
}
